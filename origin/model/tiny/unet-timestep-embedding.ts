// The trunk's timestep embedding, as in SD: sinusoids of t (cos first) → Linear → SiLU → Linear.
import { kroneckerWeight } from "./kronecker-weight";
import type { GraphBuilder } from "./onnx-graph";
import { WeightStream } from "./prng";
import { TIME_COND_PROJ_DIM } from "./variant";

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

/** cond [B, TIME_COND_PROJ_DIM] · W → [B, SINUSOID_DIM], W ≈ N(0, 1/fanIn), no bias. */
function condProjection(g: GraphBuilder, cond: string): string {
  const name = "trunk.time_embedding.cond_proj.weight";
  const w = kroneckerWeight(
    g,
    name,
    TIME_COND_PROJ_DIM,
    SINUSOID_DIM,
    1 / Math.sqrt(TIME_COND_PROJ_DIM),
  );
  return g.op("MatMul", [cond, w]);
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/**
 * timestep (float [B] | float [] | int64 [1]) → [B|1, TIME_EMBED_DIM]. Each row embeds its own
 * timestep, so the continuous batcher's per-row steps reach the trunk unchanged. With `cond`
 * ([B, width], LCM's guidance embedding) the sinusoids get cond·W added first, as diffusers'
 * TimestepEmbedding does with its bias-free `cond_proj`; every row keeps its own guidance.
 */
export function buildTimestepEmbedding(g: GraphBuilder, timestep: string, cond?: string): string {
  const t = g.op("Reshape", [g.op("Cast", [timestep], { to: 1 }), g.ints([-1, 1])]);
  const args = g.op("Mul", [t, g.floats(frequencies(), [1, HALF])]);
  const sinusoid = g.op("Concat", [g.op("Cos", [args]), g.op("Sin", [args])], { axis: 1 });
  const conditioned = cond ? g.op("Add", [sinusoid, condProjection(g, cond)]) : sinusoid;
  const first = linear(
    g,
    conditioned,
    "trunk.time_embedding.linear_1",
    SINUSOID_DIM,
    TIME_EMBED_DIM,
  );
  return linear(g, silu(g, first), "trunk.time_embedding.linear_2", TIME_EMBED_DIM, TIME_EMBED_DIM);
}
