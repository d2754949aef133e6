// The loader against every dtype convention real exports use, and its start-up failures.
import { cp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { maxAbsDiff, type TinyVariant, tempModels } from "../../test/support/tiny-model-fixtures";
import { INPUT_ID_TYPES, TIMESTEP_KINDS } from "../model/tiny/variant";
import { loadOnnxRuntime } from "./onnx-diffusion-runtime";

const settings = {
  providers: ["cpu"] as Array<"cpu">,
  intraOpThreads: 1,
  interOpThreads: 1,
  cudaDevice: 0,
};
const models = tempModels();
afterAll(() => models.removeAll());

const tempModel = (variant?: TinyVariant) => models.write(variant);

const variants = INPUT_ID_TYPES.flatMap((inputIds) =>
  TIMESTEP_KINDS.map((timestep) => ({ inputIds, timestep })),
);

describe("loadOnnxRuntime adapts to each export convention", () => {
  it.each(variants)("input_ids $inputIds, timestep $timestep", async (variant) => {
    const runtime = await loadOnnxRuntime(await tempModel(variant), settings);
    try {
      expect(runtime.model.perRowTimestep).toBe(variant.timestep === "float-batch");
      expect(runtime.model.vaeScaleFactor).toBe(8);
      expect(runtime.model.scalingFactor).toBeCloseTo(0.18215, 6);
      const ids = new Int32Array(runtime.model.seqLen).fill(1);
      const [context] = await runtime.encodeText([ids]);
      expect(context!.length).toBe(runtime.model.seqLen * runtime.model.hiddenSize);
      const sample = new Float32Array(4 * 8 * 8).fill(0.3);
      // Two rows at different timesteps: scalar-timestep graphs must be called per timestep group.
      const out = await runtime.unet(
        [
          { sample, timestep: 999, context: context! },
          { sample, timestep: 499, context: context! },
        ],
        8,
        8,
      );
      const [alone] = await runtime.unet([{ sample, timestep: 499, context: context! }], 8, 8);
      // Batched CPU kernels may round differently from batch 1; rows must not mix beyond that.
      expect(maxAbsDiff(out[1]!, alone!)).toBeLessThan(1e-5);
      expect(out[0]).not.toEqual(out[1]);
      const [pixels] = await runtime.decode([out[0]!], 8, 8);
      expect(pixels!.length).toBe(3 * 64 * 64);
    } finally {
      await runtime.dispose();
    }
  });

  it("gives every variant the same content hash only when the bytes match", async () => {
    const a = await loadOnnxRuntime(await tempModel(), settings);
    const b = await loadOnnxRuntime(await tempModel(), settings);
    const c = await loadOnnxRuntime(
      await tempModel({ inputIds: "int32", timestep: "int64-1" }),
      settings,
    );
    expect(a.model.sha256).toBe(b.model.sha256);
    expect(a.model.sha256).not.toBe(c.model.sha256);
    await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
  });
});

describe("int64 timesteps", () => {
  it("are truncated, as Optimum's int64 cast does, not rounded", async () => {
    const runtime = await loadOnnxRuntime(
      await tempModel({ inputIds: "int64", timestep: "int64-1" }),
      settings,
    );
    try {
      const [context] = await runtime.encodeText([new Int32Array(runtime.model.seqLen).fill(1)]);
      const sample = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.cos(i));
      const at = async (timestep: number) =>
        (await runtime.unet([{ sample, timestep, context: context! }], 8, 8))[0]!;
      // Euler with linspace spacing asks for fractional timesteps such as 946.42 or 946.7.
      const [fraction, below, above] = [await at(946.7), await at(946), await at(947)];
      expect(maxAbsDiff(fraction, below)).toBe(0);
      expect(maxAbsDiff(fraction, above)).toBeGreaterThan(0);
    } finally {
      await runtime.dispose();
    }
  });
});

describe("an export without component config.json files", () => {
  it("takes the text width and latent channels from the graphs' declared shapes", async () => {
    const dir = await tempModel();
    for (const part of ["unet", "text_encoder", "vae_decoder"]) {
      await rm(join(dir, `${part}/config.json`));
    }
    const runtime = await loadOnnxRuntime(dir, settings);
    try {
      // The tiny UNet declares encoder_hidden_states [batch, sequence, 64] (SD-Turbo: 1024).
      expect(runtime.model.hiddenSize).toBe(64);
      expect(runtime.model.latentChannels).toBe(4);
      const [context] = await runtime.encodeText([new Int32Array(runtime.model.seqLen).fill(1)]);
      const sample = new Float32Array(4 * 8 * 8).fill(0.3);
      const [out] = await runtime.unet([{ sample, timestep: 999, context: context! }], 8, 8);
      expect(out!.every(Number.isFinite)).toBe(true);
    } finally {
      await runtime.dispose();
    }
  });
});

describe("decoded images", () => {
  it("are written into pooled buffers, reused only after release, with unchanged pixels", async () => {
    const runtime = await loadOnnxRuntime(await tempModel(), settings);
    try {
      const latent = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i));
      const other = latent.map((v) => -v);
      const [first] = await runtime.decode([latent], 8, 8);
      const expected = first!.slice();
      // Not released yet: the next decode must not write over it.
      const [second] = await runtime.decode([other], 8, 8);
      expect(second!.buffer).not.toBe(first!.buffer);
      expect(first).toEqual(expected);
      runtime.releasePixels?.([first!, second!]);
      const [third] = await runtime.decode([latent], 8, 8);
      expect([first!.buffer, second!.buffer]).toContain(third!.buffer);
      expect(third).toEqual(expected);
      // A batch of two comes back as two views of one buffer, each equal to its image alone.
      const pair = await runtime.decode([other, latent], 8, 8);
      expect(pair[1]).toEqual(expected);
      expect(pair[0]!.buffer).toBe(pair[1]!.buffer);
    } finally {
      await runtime.dispose();
    }
  });
});

describe("start-up failures name the file and what was expected", () => {
  it("a missing graph", async () => {
    const dir = await tempModel();
    await rm(join(dir, "unet/model.onnx"));
    await expect(loadOnnxRuntime(dir, settings)).rejects.toThrow(/missing unet\/model\.onnx/);
  });

  it("missing tokenizer files", async () => {
    const dir = await tempModel();
    await rm(join(dir, "tokenizer/merges.txt"));
    await expect(loadOnnxRuntime(dir, settings)).rejects.toThrow(/tokenizer\/merges\.txt/);
  });

  it("a graph with unexpected input names", async () => {
    const dir = await tempModel();
    // The VAE decoder declares latent_sample; put it where the UNet should be.
    await cp(join(dir, "vae_decoder/model.onnx"), join(dir, "unet/model.onnx"));
    await expect(loadOnnxRuntime(dir, settings)).rejects.toThrow(
      /unet\/model\.onnx: expected inputs \[sample, timestep, encoder_hidden_states\].*found inputs \[latent_sample\]/,
    );
  });

  it("a scheduler option a tier's sampler does not implement", async () => {
    const dir = await tempModel();
    const path = join(dir, "scheduler/scheduler_config.json");
    const config = JSON.parse(await readFile(path, "utf8"));
    await writeFile(path, JSON.stringify({ ...config, use_karras_sigmas: true }));
    await expect(loadOnnxRuntime(dir, settings)).rejects.toThrow(
      /scheduler\/scheduler_config\.json: .*euler \(fast, quality, batch tiers\): unsupported option\(s\) use_karras_sigmas/,
    );
  });

  it("not a sample-prediction model, which every sampler serves", async () => {
    const dir = await tempModel();
    const path = join(dir, "scheduler/scheduler_config.json");
    const config = JSON.parse(await readFile(path, "utf8"));
    await writeFile(path, JSON.stringify({ ...config, prediction_type: "sample" }));
    const runtime = await loadOnnxRuntime(dir, settings);
    expect(runtime.model.schedulerConfig.prediction_type).toBe("sample");
    await runtime.dispose();
  });

  it("an unreadable scheduler config", async () => {
    const dir = await tempModel();
    await writeFile(join(dir, "scheduler/scheduler_config.json"), "{oops");
    await expect(loadOnnxRuntime(dir, settings)).rejects.toThrow(/scheduler_config\.json/);
  });
});
