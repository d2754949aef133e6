// Large weight matrices stored as Kronecker factors and expanded in-graph, so the file stays small.
import type { GraphBuilder } from "./onnx-graph";
import { WeightStream } from "./prng";

type Split = [number, number];

/** n = d · (n / d) with d the divisor of n nearest √n from below: 1152 → 32·36, 128 → 8·16. */
function splitDim(n: number): Split {
  let d = Math.floor(Math.sqrt(n));
  while (n % d !== 0) d--;
  return [d, n / d];
}

/** P ⊗ Q as [r1·r2, c1·c2], P ~ N(0, 1) of [r1, c1] and Q ~ N(0, std²) of [r2, c2]. */
function kroneckerProduct(
  g: GraphBuilder,
  name: string,
  [r1, r2]: Split,
  [c1, c2]: Split,
  std: number,
): string {
  const p = new WeightStream(`${name}.p`).normals(r1 * c1);
  const q = new WeightStream(`${name}.q`).normals(r2 * c2, std);
  const blocks = g.op("Mul", [
    g.weight(`${name}.p`, p, [r1, 1, c1, 1]),
    g.weight(`${name}.q`, q, [1, r2, 1, c2]),
  ]);
  return g.op("Reshape", [blocks, g.ints([r1 * r2, c1 * c2])]);
}

/**
 * A [rows, cols] weight ≈ N(0, std²): (P₁ ⊗ Q₁ + P₂ ⊗ Q₂)/√2, in about √ of the dense storage
 * (stored densely, the trunk alone was 6.7 MB, ten times the text encoder). One product alone
 * repeats itself: each conv kernel came from a few dozen 3×3 shapes and images grew streaks. The
 * second product splits both axes the other way round, so its blocks straddle the first one's and
 * a conv's 9-tap groups. Every node here reads initializers only, so onnxruntime folds the weight
 * once at session creation and the layer costs exactly what a dense one does.
 */
export function kroneckerWeight(
  g: GraphBuilder,
  name: string,
  rows: number,
  cols: number,
  std: number,
): string {
  const [r1, r2] = splitDim(rows);
  const [c1, c2] = splitDim(cols);
  const termStd = std / Math.SQRT2;
  return g.op("Add", [
    kroneckerProduct(g, `${name}.0`, [r1, r2], [c1, c2], termStd),
    kroneckerProduct(g, `${name}.1`, [r2, r1], [c2, c1], termStd),
  ]);
}
