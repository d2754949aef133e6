// In-graph spatial patterns for the UNet's layout mask, built from the latent's own height and width.
import { LAYOUT_PATTERNS, type LayoutPattern } from "./lexicon-layout";
import type { GraphBuilder } from "./onnx-graph";

export interface LatentGeometry {
  /** Patterns as [K, H·W], one row per LAYOUT_PATTERNS entry. */
  patterns: string;
  /** int64 [1] each. */
  height: string;
  width: string;
}

/** Centred coordinates along one axis: (i + ½ − n/2) · 2 / min(H, W). */
function axis(g: GraphBuilder, n: string, minSide: string): string {
  const idx = g.op("Range", [g.floats([0], []), n, g.floats([1], [])]);
  const centred = g.op("Sub", [
    g.op("Add", [idx, g.floats([0.5], [])]),
    g.op("Div", [n, g.floats([2], [])]),
  ]);
  return g.op("Mul", [centred, g.op("Div", [g.floats([2], []), minSide])]);
}

/**
 * Built per call from `sample`'s shape (it costs K·H·W, far below one conv), so any latent size
 * works and shapes stay proportionate: the shorter side always spans [-1, 1].
 */
export function buildLatentGeometry(g: GraphBuilder, sample: string): LatentGeometry {
  const shape = g.op("Shape", [sample]);
  const height = g.op("Slice", [shape, g.ints([2]), g.ints([3])]);
  const width = g.op("Slice", [shape, g.ints([3]), g.ints([4])]);
  const scalar = (t: string) => g.op("Cast", [g.op("Squeeze", [t, g.ints([0])])], { to: 1 });
  const h = scalar(height);
  const w = scalar(width);
  const minSide = g.op("Min", [h, w]);
  const uRow = g.op("Unsqueeze", [axis(g, w, minSide), g.ints([0])]); // [1, W]
  const vCol = g.op("Unsqueeze", [axis(g, h, minSide), g.ints([1])]); // [H, 1]
  const zero = g.op("Mul", [g.op("Add", [uRow, vCol]), g.floats([0], [])]); // [H, W]
  const u = g.op("Add", [uRow, zero]);
  const v = g.op("Add", [vCol, zero]);
  const mul = (a: string, b: string) => g.op("Mul", [a, b]);
  const sinOf = (x: string, freq: number) => g.op("Sin", [mul(x, g.floats([freq * Math.PI], []))]);
  const radial = g.op("Add", [mul(u, u), mul(v, v)]);
  const build: Record<LayoutPattern, () => string> = {
    const: () => g.op("Add", [zero, g.floats([1], [])]),
    u: () => u,
    v: () => v,
    radial: () => radial,
    hstripes: () => sinOf(v, 5),
    vstripes: () => sinOf(u, 5),
    diagonal: () => sinOf(g.op("Add", [u, v]), 5 / Math.SQRT2),
    checker: () => mul(sinOf(u, 4), sinOf(v, 4)),
    rings: () => g.op("Cos", [mul(g.op("Sqrt", [radial]), g.floats([5 * Math.PI], []))]),
    saddle: () => mul(u, v),
    absu: () => g.op("Abs", [u]),
    waves: () => sinOf(u, 3),
  };
  const stacked = LAYOUT_PATTERNS.map((p) => g.op("Unsqueeze", [build[p](), g.ints([0])]));
  const patterns = g.op("Reshape", [
    g.op("Concat", stacked, { axis: 0 }),
    g.ints([LAYOUT_PATTERNS.length, -1]),
  ]);
  return { patterns, height, width };
}
