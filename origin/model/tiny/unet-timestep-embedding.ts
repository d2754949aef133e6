// The trunk's timestep embedding, as in SD: sinusoids of t (cos first) → Linear → SiLU → Linear.
import { kroneckerWeight } from "./kronecker-weight";
import type { GraphBuilder } from "./onnx-graph";
import { WeightStream } from "./prng";

/** Sinusoid width (SD uses block_out_channels[0]); HALF must stay 32, see frequencies(). */
const SINUSOID_DIM = 64;
const HALF = SINUSOID_DIM / 2;
/** Width of the time MLP (hidden and output); every ResBlock projects it to its own channels. */
export const TIME_EMBED_DIM = 256;

/**
 * 10000^(−i/32) for i < 32, as diffusers' get_timestep_embedding (freq_shift 0). The ratio is a
 * fifth square root, so the bytes use only √ and × (no libm exp/log, no cross-engine drift).
 */
function frequencies(): number[] {
  let root = 10000;
  for (let i = 0; i < 5; i++) root = Math.sqrt(root); // 10000^(1/32)
  const out: number[] = [];
  let f = 1;
  for (let i = 0; i < HALF; i++) {
    out.push(f);
    f /= root;
  }
  return out;
}

/** A dense layer x·W + b, W ≈ N(0, gain²/fanIn) as Kronecker factors from its own named streams. */
export function linear(
  g: GraphBuilder,
  x: string,
  name: string,
  fanIn: number,
  fanOut: number,
  gain = 1,
): string {
  const w = kroneckerWeight(g, `${name}.weight`, fanIn, fanOut, gain / Math.sqrt(fanIn));
  const b = new WeightStream(`${name}.bias`).normals(fanOut, 0.02);
  return g.op("Add", [g.op("MatMul", [x, w]), g.weight(`${name}.bias`, b, [fanOut])]);
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/**
 * timestep (float [B] | float [] | int64 [1]) → [B|1, TIME_EMBED_DIM]. Each row embeds its own
 * timestep, so the continuous batcher's per-row steps reach the trunk unchanged.
 */
export function buildTimestepEmbedding(g: GraphBuilder, timestep: string): string {
  const t = g.op("Reshape", [g.op("Cast", [timestep], { to: 1 }), g.ints([-1, 1])]);
  const args = g.op("Mul", [t, g.floats(frequencies(), [1, HALF])]);
  const sinusoid = g.op("Concat", [g.op("Cos", [args]), g.op("Sin", [args])], { axis: 1 });
  const first = linear(g, sinusoid, "trunk.time_embedding.linear_1", SINUSOID_DIM, TIME_EMBED_DIM);
  return linear(g, silu(g, first), "trunk.time_embedding.linear_2", TIME_EMBED_DIM, TIME_EMBED_DIM);
}
