// The ResNet trunk alone: bounded detail that follows the sample, the timestep and the prompt, row by row.
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { GraphBuilder } from "./onnx-graph";
import { WeightStream } from "./prng";
import { POOLED_DIM } from "./unet-conditioning";
import { buildResnetTrunk, DETAIL_GAIN } from "./unet-resnet-trunk";
import { buildTimestepEmbedding } from "./unet-timestep-embedding";

function buildTrunkGraph(): Uint8Array {
  const g = new GraphBuilder("trunk_only");
  const sample = g.input("sample", "float", ["batch", 4, "height", "width"]);
  const timestep = g.input("timestep", "float", ["batch"]);
  const context = g.input("context", "float", ["batch", POOLED_DIM]);
  const timeEmbedding = buildTimestepEmbedding(g, timestep);
  const detail = buildResnetTrunk(g, { sample, timeEmbedding, context, contextDim: POOLED_DIM });
  g.emit(detail, "detail");
  g.output("detail", "float", ["batch", 4, "height", "width"]);
  return g.toBytes();
}

let trunk: ort.InferenceSession;
beforeAll(async () => {
  trunk = await ort.InferenceSession.create(buildTrunkGraph(), { intraOpNumThreads: 2 });
});

const normals = (label: string, dims: number[]) =>
  new ort.Tensor("float32", new WeightStream(label).normals(dims.reduce((a, b) => a * b)), dims);

async function detail(sample: ort.Tensor, steps: number[], context: ort.Tensor) {
  const timestep = new ort.Tensor("float32", Float32Array.from(steps), [steps.length]);
  return (await trunk.run({ sample, timestep, context })).detail!.data as Float32Array;
}

const meanAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / a.length;

describe("resnet trunk", () => {
  it("adds bounded, non-trivial detail on every latent channel", async () => {
    const out = await detail(normals("s", [1, 4, 32, 32]), [499], normals("c", [1, POOLED_DIM]));
    const plane = 32 * 32;
    DETAIL_GAIN.forEach((bound, c) => {
      const values = out.subarray(c * plane, (c + 1) * plane);
      const meanAbs = values.reduce((s, v) => s + Math.abs(v), 0) / plane;
      expect(values.every((v) => Math.abs(v) <= bound)).toBe(true);
      expect(meanAbs).toBeGreaterThan(bound / 10);
    });
  });

  it("responds to the sample, the timestep and the prompt", async () => {
    const sample = normals("s", [1, 4, 32, 32]);
    const context = normals("c", [1, POOLED_DIM]);
    const base = await detail(sample, [499], context);
    const otherSample = await detail(normals("s2", [1, 4, 32, 32]), [499], context);
    const otherStep = await detail(sample, [99], context);
    const otherPrompt = await detail(sample, [499], normals("c2", [1, POOLED_DIM]));
    expect(meanAbsDiff(base, otherSample)).toBeGreaterThan(0.01);
    expect(meanAbsDiff(base, otherStep)).toBeGreaterThan(0.002);
    expect(meanAbsDiff(base, otherPrompt)).toBeGreaterThan(0.002);
  });

  it("gives each row of a batch, with its own timestep, what it gets alone", async () => {
    const steps = [999, 499, 0.5];
    const sample = normals("s", [3, 4, 16, 24]);
    const context = normals("c", [3, POOLED_DIM]);
    const batched = await detail(sample, steps, context);
    const size = 4 * 16 * 24;
    for (const i of [0, 1, 2]) {
      const rowOf = (t: ort.Tensor, n: number) =>
        new ort.Tensor("float32", (t.data as Float32Array).slice(i * n, (i + 1) * n), [
          1,
          ...t.dims.slice(1),
        ]);
      const alone = await detail(rowOf(sample, size), [steps[i]!], rowOf(context, POOLED_DIM));
      const row = batched.subarray(i * size, (i + 1) * size);
      expect(row.reduce((m, v, j) => Math.max(m, Math.abs(v - alone[j]!)), 0)).toBeLessThan(1e-5);
    }
  });
});
