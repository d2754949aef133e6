// The UNet's ResNet trunk: SD-style ResBlocks at latent resolution, so the UNet costs what a real one does.
import { kroneckerWeight } from "./kronecker-weight";
import type { GraphBuilder } from "./onnx-graph";
import { WeightStream } from "./prng";
import { linear, silu, TIME_EMBED_DIM } from "./unet-timestep-embedding";

/** Trunk width and depth: the UNet then costs ≈ 10 ms at batch 1, 32×32, on 2 CPU threads. */
export const TRUNK_CHANNELS = 128;
export const TRUNK_BLOCKS = 5;
/** SD's norm_num_groups. */
const GROUPS = 32;
/**
 * Bound of the trunk's correction to x0 per unrotated channel (r, g, b, shape), in latent units
 * (a prompt colour is ≈ 0.3–1.4): enough to add texture, too little to move colour or layout.
 */
export const DETAIL_GAIN = [0.05, 0.05, 0.05, 0.1];

export interface TrunkInputs {
  /** The scheduler-scaled noisy latent [B, 4, H, W], as SD's conv_in sees it. */
  sample: string;
  /** [B|1, TIME_EMBED_DIM] from buildTimestepEmbedding. */
  timeEmbedding: string;
  /** [B, contextDim]: the prompt, pooled. */
  context: string;
  contextDim: number;
}

interface Trunk {
  g: GraphBuilder;
  /** int64 [4]: [0, C, H, W] for Reshape back from groups. */
  shape: string;
  time: string;
  context: string;
  contextDim: number;
}

function conv3x3(
  g: GraphBuilder,
  x: string,
  name: string,
  [cin, cout]: [number, number],
  gain = 1,
): string {
  const matrix = kroneckerWeight(g, `${name}.weight`, cout, cin * 9, gain / Math.sqrt(9 * cin));
  const w = g.op("Reshape", [matrix, g.ints([cout, cin, 3, 3])]);
  const b = new WeightStream(`${name}.bias`).normals(cout, 0.02);
  return g.op("Conv", [x, w, g.weight(`${name}.bias`, b, [cout])], { pads: [1, 1, 1, 1] });
}

/**
 * GroupNorm as torch exported it before opset 18: Reshape to [B, groups, −1], InstanceNormalization,
 * Reshape back, per-channel affine. Statistics are per sample, so batch rows never mix. (Opset-18
 * GroupNormalization wants scale per group, opset 21 moves the whole graph's Reduce* axes to inputs;
 * this form also measured faster here.)
 */
function groupNorm(trunk: Trunk, x: string, name: string): string {
  const { g } = trunk;
  const grouped = g.op("Reshape", [x, g.ints([0, GROUPS, -1])]);
  const ones = g.floats(new Array<number>(GROUPS).fill(1));
  const zeros = g.floats(new Array<number>(GROUPS).fill(0));
  const normed = g.op("InstanceNormalization", [grouped, ones, zeros], {
    epsilon: { float: 1e-5 },
  });
  const back = g.op("Reshape", [normed, trunk.shape]);
  const stream = new WeightStream(name);
  const gamma = Float32Array.from({ length: TRUNK_CHANNELS }, () => 1 + stream.normal() * 0.05);
  const beta = stream.normals(TRUNK_CHANNELS, 0.05);
  const dims = [TRUNK_CHANNELS, 1, 1];
  return g.op("Add", [
    g.op("Mul", [back, g.weight(`${name}.weight`, gamma, dims)]),
    g.weight(`${name}.bias`, beta, dims),
  ]);
}

const perChannel = (g: GraphBuilder, v: string) => g.op("Unsqueeze", [v, g.ints([2, 3])]);

/**
 * One ResBlock: GN → SiLU → conv → + time projection → GN → text scale/shift → SiLU → conv, + skip.
 * The text enters as SD's scale-shift norm does (h·(1 + scale) + shift), from the pooled prompt.
 */
function resBlock(trunk: Trunk, h: string, i: number): string {
  const { g } = trunk;
  const C = TRUNK_CHANNELS;
  const name = `trunk.blocks.${i}`;
  const conv1 = conv3x3(g, silu(g, groupNorm(trunk, h, `${name}.norm1`)), `${name}.conv1`, [C, C]);
  const time = perChannel(g, linear(g, trunk.time, `${name}.time_emb_proj`, TIME_EMBED_DIM, C));
  const norm2 = groupNorm(trunk, g.op("Add", [conv1, time]), `${name}.norm2`);
  const film = linear(g, trunk.context, `${name}.text_proj`, trunk.contextDim, 2 * C, 0.25);
  const [scale, shift] = g.opMulti("Split", [film, g.ints([C, C])], 2, { axis: 1 });
  const modulated = g.op("Add", [
    g.op("Mul", [norm2, g.op("Add", [perChannel(g, scale!), g.floats([1], [])])]),
    perChannel(g, shift!),
  ]);
  const conv2 = conv3x3(g, silu(g, modulated), `${name}.conv2`, [C, C]);
  return g.op("Add", [h, conv2]);
}

/**
 * conv_in (4 → C) → TRUNK_BLOCKS ResBlocks → GN → SiLU → conv_out (C → 4) → tanh, scaled by
 * DETAIL_GAIN: a bounded [B, 4, H, W] correction in the unrotated (r, g, b, shape) basis.
 */
export function buildResnetTrunk(g: GraphBuilder, inputs: TrunkInputs): string {
  const spatial = g.op("Slice", [g.op("Shape", [inputs.sample]), g.ints([2]), g.ints([4])]);
  const trunk: Trunk = {
    g,
    shape: g.op("Concat", [g.ints([0, TRUNK_CHANNELS]), spatial], { axis: 0 }),
    time: silu(g, inputs.timeEmbedding),
    context: inputs.context,
    contextDim: inputs.contextDim,
  };
  let h = conv3x3(g, inputs.sample, "trunk.conv_in", [4, TRUNK_CHANNELS]);
  for (let i = 0; i < TRUNK_BLOCKS; i++) h = resBlock(trunk, h, i);
  const out = silu(g, groupNorm(trunk, h, "trunk.norm_out"));
  // Gain ½ keeps most values on tanh's linear stretch: graded texture, not a ±DETAIL_GAIN dither.
  const detail = g.op("Tanh", [conv3x3(g, out, "trunk.conv_out", [TRUNK_CHANNELS, 4], 0.5)]);
  return g.op("Mul", [detail, g.floats(DETAIL_GAIN, [1, 4, 1, 1])]);
}
