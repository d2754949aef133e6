// The real pipeline on the tiny model: determinism, seed and prompt dependence, every scheduler.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTinyPipeline } from "../../test/support/origin-fixtures";
import { lcmPipelineCountingRows } from "../../test/support/tiny-model-fixtures";
import type { DiffusionPipeline, GenerateParams } from "./pipeline";

let pipeline: DiffusionPipeline;
beforeAll(async () => {
  pipeline = await loadTinyPipeline();
});

const fast: GenerateParams = {
  prompt: "a red circle",
  negative_prompt: "",
  n: 1,
  width: 256,
  height: 256,
  steps: 2,
  guidance_scale: 0,
  seed: 7,
  scheduler: "euler",
};

async function pixels(p: Partial<GenerateParams>) {
  const { images } = await pipeline.generate({ ...fast, ...p });
  return images.map((i) => i.pixels);
}

/** Mean absolute difference per channel value, on the decoder's [-1, 1] scale. */
function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

describe("DiffusionPipeline", () => {
  it("gives identical pixels for the same request", async () => {
    const [a] = await pixels({});
    const [b] = await pixels({});
    expect(Buffer.from(a!.buffer).equals(Buffer.from(b!.buffer))).toBe(true);
  });

  it("changes the image with the seed", async () => {
    const [a] = await pixels({ seed: 1 });
    const [b] = await pixels({ seed: 2 });
    expect(meanAbsDiff(a!, b!)).toBeGreaterThan(0.02);
  });

  it("changes the image with the prompt", async () => {
    const [a] = await pixels({ prompt: "a red circle" });
    const [b] = await pixels({ prompt: "blue stripes" });
    expect(meanAbsDiff(a!, b!)).toBeGreaterThan(0.05);
  });

  it("gives image i of a request the seed + i, matching a single-image request", async () => {
    const { images } = await pipeline.generate({ ...fast, n: 3, seed: 10 });
    expect(images.map((i) => i.seed)).toEqual([10, 11, 12]);
    const [alone] = await pixels({ seed: 12 });
    expect(meanAbsDiff(images[2]!.pixels, alone!)).toBeLessThan(1 / 255);
  });

  it.each([
    ["euler_ancestral", 8, 7.5],
    ["ddim", 8, 5],
    ["euler", 8, 3],
  ] as const)(
    "runs the quality tier with %s and classifier-free guidance",
    async (scheduler, steps, g) => {
      const steps_seen: number[] = [];
      const { images } = await pipeline.generate(
        { ...fast, scheduler, steps, guidance_scale: g, negative_prompt: "blurry" },
        (s) => steps_seen.push(s),
      );
      expect(steps_seen).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
      expect(images[0]!.pixels.every(Number.isFinite)).toBe(true);
    },
  );

  it("applies guidance: the negative prompt changes a guided image", async () => {
    const quality = { steps: 8, guidance_scale: 7.5, scheduler: "ddim" as const };
    const [a] = await pixels({ ...quality, negative_prompt: "" });
    const [b] = await pixels({ ...quality, negative_prompt: "red" });
    expect(meanAbsDiff(a!, b!)).toBeGreaterThan(0.01);
  });

  it("conditions an LCM-style model on the guidance, with one UNet row per image", async () => {
    const { pipeline: lcm, rowsPerCall, close } = await lcmPipelineCountingRows();
    try {
      const render = async (guidance_scale: number) =>
        (await lcm.generate({ ...fast, scheduler: "lcm", steps: 4, guidance_scale })).images[0]!
          .pixels;
      const [two, twelve] = [await render(2), await render(12)];
      expect(meanAbsDiff(two, twelve)).toBeGreaterThan(0.5 / 255);
      expect(rowsPerCall.every((n) => n === 1)).toBe(true);
    } finally {
      await close();
    }
  });

  it("runs LCM on the fast tier", async () => {
    const [a] = await pixels({ scheduler: "lcm", steps: 4 });
    expect(a!.every(Number.isFinite)).toBe(true);
  });
});
