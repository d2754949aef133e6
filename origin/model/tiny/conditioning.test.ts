// Behaviour a user sees: prompts steer hue and layout, seeds vary the picture, steps keep it stable.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadClipTokenizer } from "../../tokenizer/clip-tokenizer";
import {
  channelMeans,
  openTinySessions,
  renderTiny,
  type TinySessions,
} from "./tiny-pipeline.test.helper";
import { writeTinyModel } from "./write-tiny-model";

let dir: string;
let tiny: TinySessions;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tiny-cond-"));
  await writeTinyModel(dir);
  tiny = await openTinySessions(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const meanAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

/** Mean of one RGB plane over a window [x0, x1) × [y0, y1) of a square image. */
function regionMean(
  image: Float32Array,
  c: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
): number {
  const side = Math.sqrt(image.length / 3);
  let sum = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) sum += image[c * side * side + y * side + x]!;
  return sum / ((x1 - x0) * (y1 - y0));
}

describe("prompt conditioning", () => {
  it("encodes different prompts differently and pools at the EOS token", async () => {
    const tokenizer = await loadClipTokenizer(`${dir}/tokenizer`);
    const run = (prompt: string) => {
      const ids = BigInt64Array.from(tokenizer.encode(prompt), (v) => BigInt(v));
      return tiny.textEncoder.run({ input_ids: new ort.Tensor("int64", ids, [1, 77]) });
    };
    const a = await run("a red circle");
    const b = await run("blue stripes");
    const ha = a.last_hidden_state!.data as Float32Array;
    expect(meanAbsDiff(ha, b.last_hidden_state!.data as Float32Array)).toBeGreaterThan(0.01);
    const eosPosition = 4; // BOS a red circle EOS
    const eosRow = ha.slice(eosPosition * 64, (eosPosition + 1) * 64);
    expect([...(a.pooler_output!.data as Float32Array)]).toEqual([...eosRow]);
  });

  it("paints colour words in their hue", async () => {
    const [r1, , b1] = channelMeans(await renderTiny(tiny, "a red circle", 1));
    const [r2, , b2] = channelMeans(await renderTiny(tiny, "blue stripes", 1));
    expect(r1 - b1).toBeGreaterThan(0.2);
    expect(b2 - r2).toBeGreaterThan(0.2);
  });

  it("lays out shape words: a circle in the middle, stripes as horizontal bands", async () => {
    const circle = await renderTiny(tiny, "a red circle", 3);
    const centre =
      regionMean(circle, 0, 96, 160, 96, 160) - regionMean(circle, 2, 96, 160, 96, 160);
    const corner = regionMean(circle, 0, 0, 48, 0, 48) - regionMean(circle, 2, 0, 48, 0, 48);
    expect(centre - corner).toBeGreaterThan(0.3);
    const stripes = await renderTiny(tiny, "blue stripes", 3);
    const rows = Array.from({ length: 256 }, (_, y) => regionMean(stripes, 0, 0, 256, y, y + 1));
    const cols = Array.from({ length: 256 }, (_, x) => regionMean(stripes, 0, x, x + 1, 0, 256));
    const std = (v: number[]) => {
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    };
    expect(std(rows)).toBeGreaterThan(5 * std(cols));
  });

  it("changes the picture with the seed and repeats it for the same seed", async () => {
    const one = await renderTiny(tiny, "sunset over the sea", 1);
    const two = await renderTiny(tiny, "sunset over the sea", 2);
    expect(meanAbsDiff(one, two)).toBeGreaterThan(0.03);
    expect(meanAbsDiff(one, await renderTiny(tiny, "sunset over the sea", 1))).toBe(0);
  });

  it("stays in range and keeps the composition over 20 steps", async () => {
    const few = await renderTiny(tiny, "a red circle", 4, 2);
    const many = await renderTiny(tiny, "a red circle", 4, 20);
    expect(many.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(meanAbsDiff(few, many)).toBeLessThan(0.15);
  });
});
