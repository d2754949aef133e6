// LCM-style exports: a UNet taking `timestep_cond` loads, each row conditioned on its own guidance.
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LCM_VARIANT,
  maxAbsDiff,
  type TinyVariant,
  tempModels,
} from "../../test/support/tiny-model-fixtures";
import { DEFAULT_EMBEDDED_GUIDANCE } from "../diffusion/guidance-embedding";
import { gaussianNoise, stepNoise } from "../diffusion/noise";
import { createScheduler } from "../diffusion/scheduler";
import type { DiffusionRuntime } from "../engine/diffusion-runtime";
import { loadPipeline } from "../load-pipeline";
import { declareFloat16Inputs } from "./float16-graph.test-support";
import type { DescribedModel } from "./model-description";
import { type GuidedRow, loadOnnxRuntime } from "./onnx-diffusion-runtime";
import { loadWorkerRuntime } from "./worker-runtime";

const settings = {
  providers: ["cpu"] as Array<"cpu">,
  intraOpThreads: 1,
  interOpThreads: 1,
  cudaDevice: 0,
};
const LCM = LCM_VARIANT;

const models = tempModels("darkroom-lcm-");
afterAll(() => models.removeAll());

const tempModel = (variant: TinyVariant = LCM) => models.write(variant);

const guidanceDim = (runtime: DiffusionRuntime) =>
  (runtime.model as DescribedModel).guidanceEmbeddingDim;

/** UNet outputs for one latent and prompt at each of `guidance` (undefined: no guidance given). */
async function atGuidance(
  runtime: DiffusionRuntime,
  guidance: ReadonlyArray<number | undefined>,
): Promise<Float32Array[]> {
  const [context] = await runtime.encodeText([new Int32Array(runtime.model.seqLen).fill(7)]);
  const sample = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i) * 0.8);
  const rows: GuidedRow[] = guidance.map((g) => ({
    sample,
    timestep: 759,
    context: context!,
    guidance: g,
  }));
  return runtime.unet(rows, 8, 8);
}

describe("a UNet with a timestep_cond input (LCM)", () => {
  let dir: string;
  let runtime: DiffusionRuntime;
  beforeAll(async () => {
    dir = await tempModel();
    runtime = await loadOnnxRuntime(dir, settings);
  });
  afterAll(() => runtime.dispose());

  it("loads, taking the embedding width from unet/config.json's time_cond_proj_dim", () => {
    expect(guidanceDim(runtime)).toBe(256);
  });

  it("conditions each row of a batch on its own guidance", async () => {
    const [low, high, none, zero] = await atGuidance(runtime, [3, 8.5, undefined, 0]);
    expect(maxAbsDiff(low!, high!)).toBeGreaterThan(1e-3);
    // No guidance given, or g ≤ 1 ("no guidance" in the tiers), runs at the model's default.
    expect(DEFAULT_EMBEDDED_GUIDANCE).toBe(8.5);
    expect(maxAbsDiff(none!, high!)).toBeLessThan(1e-5);
    expect(maxAbsDiff(zero!, high!)).toBeLessThan(1e-5);
    const [alone] = await atGuidance(runtime, [3]);
    expect(maxAbsDiff(alone!, low!)).toBeLessThan(1e-5);
  });

  it("changes the decoded image with the guidance (one LCM step from the same noise)", async () => {
    const scheduler = createScheduler("lcm", runtime.model.schedulerConfig, 1);
    const [context] = await runtime.encodeText([new Int32Array(runtime.model.seqLen).fill(7)]);
    const noise = gaussianNoise(42, 0, 4 * 16 * 16);
    const image = async (guidance: number) => {
      const row = { sample: noise, timestep: scheduler.timesteps[0]!, context: context!, guidance };
      const [out] = await runtime.unet([row], 16, 16);
      const [pixels] = await runtime.decode(
        [scheduler.step(out!, 0, noise, stepNoise(42, 0))],
        16,
        16,
      );
      return pixels!.slice();
    };
    const [low, high] = [await image(2), await image(12)];
    const meanChange = low.reduce((sum, v, i) => sum + Math.abs(v - high[i]!), 0) / low.length;
    // The tiny UNet's guidance reaches the image through its ResNet trunk (~1.5/255 here).
    expect(meanChange).toBeGreaterThan(0.5 / 255);
  });

  it("carries each row's guidance to a worker thread", async () => {
    const worker = await loadWorkerRuntime(dir, settings);
    try {
      const [low, high] = await atGuidance(worker, [3, 8.5]);
      expect(maxAbsDiff(low!, high!)).toBeGreaterThan(1e-3);
      const [mainLow, mainHigh] = await atGuidance(runtime, [3, 8.5]);
      expect(maxAbsDiff(low!, mainLow!)).toBeLessThan(1e-6);
      expect(maxAbsDiff(high!, mainHigh!)).toBeLessThan(1e-6);
    } finally {
      await worker.dispose();
    }
  });

  it("feeds a float16-declared timestep_cond (and sample, timestep, states) as float16", async () => {
    const fp16 = await tempModel();
    await declareFloat16Inputs(join(fp16, "unet/model.onnx"));
    const half = await loadOnnxRuntime(fp16, settings);
    try {
      const [low, high] = await atGuidance(half, [3, 8.5]);
      const [fullLow] = await atGuidance(runtime, [3]);
      expect(maxAbsDiff(low!, high!)).toBeGreaterThan(1e-3);
      // float16 rounding of the inputs moves ε by ~3e-4; guidance 3 → 8.5 moves it by ~1e-2.
      expect(maxAbsDiff(low!, fullLow!)).toBeLessThan(2e-3);
    } finally {
      await half.dispose();
    }
  });

  it("falls back to the graph's declared width without unet/config.json", async () => {
    const bare = await tempModel();
    await rm(join(bare, "unet/config.json"));
    const loaded = await loadOnnxRuntime(bare, settings);
    expect(guidanceDim(loaded)).toBe(256);
    await loaded.dispose();
  });

  it("refuses a config whose time_cond_proj_dim contradicts the graph", async () => {
    const wrong = await tempModel();
    await writeFile(join(wrong, "unet/config.json"), JSON.stringify({ time_cond_proj_dim: 512 }));
    await expect(loadOnnxRuntime(wrong, settings)).rejects.toThrow(
      /time_cond_proj_dim 512 .*timestep_cond \[batch, 256\]/,
    );
  });

  it("leaves models without one on CFG", async () => {
    const plain = await loadOnnxRuntime(
      await tempModel({ inputIds: "int64", timestep: "float-batch" }),
      settings,
    );
    expect(guidanceDim(plain)).toBeNull();
    const [a, b] = await atGuidance(plain, [3, 8.5]);
    expect(a).toEqual(b);
    await plain.dispose();
  });
});

describe("the pipeline on an LCM-style model", () => {
  it("generates at the fast tier (lcm, 4 steps, guidance 0) with finite pixels", async () => {
    const pipeline = await loadPipeline({
      modelDir: await tempModel(),
      runtimeThread: "main",
      ...settings,
    });
    try {
      expect(guidanceDim(pipeline.runtime)).toBe(256);
      const { images } = await pipeline.generate({
        prompt: "a red fox in the snow",
        negative_prompt: "",
        n: 1,
        width: 128,
        height: 128,
        steps: 4,
        guidance_scale: 0,
        seed: 42,
        scheduler: "lcm",
      });
      expect(images[0]!.pixels).toHaveLength(3 * 128 * 128);
      expect(images[0]!.pixels.every(Number.isFinite)).toBe(true);
    } finally {
      await pipeline.runtime.dispose();
    }
  });
});
