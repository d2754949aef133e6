// Kronecker-factored weights: dense-looking values, and onnxruntime expands them once, at load.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { kroneckerWeight } from "./kronecker-weight";
import { GraphBuilder } from "./onnx-graph";

const [ROWS, COLS, STD] = [128, 1152, 0.03];

/** y = x · W for a conv-sized W, so that reading x's identity rows gives W back. */
function buildProbe(): Uint8Array {
  const g = new GraphBuilder("kronecker_probe");
  const x = g.input("x", "float", ["n", ROWS]);
  g.emit(g.op("MatMul", [x, kroneckerWeight(g, "probe", ROWS, COLS, STD)]), "y");
  g.output("y", "float", ["n", COLS]);
  return g.toBytes();
}

describe("kroneckerWeight", () => {
  it("expands to a matrix with the requested spread and hardly a repeated 3×3 kernel", async () => {
    const session = await ort.InferenceSession.create(buildProbe());
    const eye = new Float32Array(ROWS * ROWS).map((_, i) => (i % (ROWS + 1) === 0 ? 1 : 0));
    const w = (await session.run({ x: new ort.Tensor("float32", eye, [ROWS, ROWS]) })).y!
      .data as Float32Array;
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(STD / 10);
    expect(std).toBeGreaterThan(STD * 0.8);
    expect(std).toBeLessThan(STD * 1.2);
    // One product alone gives at most 2·16·4 kernel shapes (equal up to scale): the streaks came back.
    const shapes = new Set<string>();
    for (let k = 0; k < w.length; k += 9) {
      const kernel = w.subarray(k, k + 9);
      const norm = Math.hypot(...kernel);
      shapes.add(Array.from(kernel, (v) => (v / norm).toFixed(3)).join(","));
    }
    expect(shapes.size).toBeGreaterThan(0.99 * (w.length / 9));
  });

  it("is folded into one initializer when the session is created", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kronecker-"));
    const optimized = join(dir, "optimized.onnx");
    try {
      await ort.InferenceSession.create(buildProbe(), {
        graphOptimizationLevel: "basic",
        optimizedModelFilePath: optimized,
      });
      const graph = onnxProto.onnx.ModelProto.decode(await readFile(optimized)).graph!;
      expect(graph.node!.map((n) => n.opType)).toEqual(["MatMul"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
