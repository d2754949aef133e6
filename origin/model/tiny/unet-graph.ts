// The UNet: an ε-predictor whose x0 is a prompt composition, a Bayes-denoised seed field and ResNet detail.
import { HIDDEN_SIZE } from "./embedding-space";
import { LATENT_CHANNELS, latentRotation } from "./latent-basis";
import { alphasCumprod, TRAIN_TIMESTEPS } from "./noise-schedule";
import { type Dim, GraphBuilder } from "./onnx-graph";
import { buildConditioning, type Conditioning, POOLED_DIM } from "./unet-conditioning";
import { buildLatentGeometry, type LatentGeometry } from "./unet-patterns";
import { buildResnetTrunk } from "./unet-resnet-trunk";
import { buildTimestepEmbedding } from "./unet-timestep-embedding";
import { TIME_COND_PROJ_DIM, type TinyVariant } from "./variant";

/** The seed field is estimated on a GRID×GRID block grid, whatever the latent size. */
const GRID = 4;
/** Prior std of the seed field per unrotated channel (r, g, b, shape): how much seeds vary images. */
const FIELD_STD = [0.11, 0.11, 0.11, 0.8];
/** How strongly the shape channel of the field bends the layout mask (logit units per unit). */
const FIELD_TO_MASK = 4;

/** Optimum's timestep axis name for [B]; the other variants are fixed shapes. */
const TIMESTEP_DIMS: Record<TinyVariant["timestep"], Dim[]> = {
  "float-batch": ["steps"],
  "int64-1": [1],
  "float-scalar": [],
};

interface NoiseLevels {
  /** √ᾱ_t, √(1 − ᾱ_t) and ᾱ_t, each [B|1, 1, 1, 1]. */
  signal: string;
  noise: string;
  alphaBar: string;
}

interface Prediction {
  x0: string;
  levels: NoiseLevels;
}

function conv1x1(g: GraphBuilder, x: string, name: string, m: number[][]): string {
  return g.op("Conv", [x, g.weight(name, m.flat(), [m.length, m[0]!.length, 1, 1])]);
}

/** sqrt(ᾱ_t), sqrt(1 − ᾱ_t) as [B|1, 1, 1, 1], ᾱ interpolated linearly for fractional t. */
function noiseLevels(g: GraphBuilder, timestep: string): NoiseLevels {
  const table = g.weight("alphas_cumprod", Float32Array.from(alphasCumprod()), [TRAIN_TIMESTEPS]);
  const t = g.op("Clip", [
    g.op("Reshape", [g.op("Cast", [timestep], { to: 1 }), g.ints([-1, 1, 1, 1])]),
    g.floats([0], []),
    g.floats([TRAIN_TIMESTEPS - 1], []),
  ]);
  const lo = g.op("Floor", [t]);
  const hi = g.op("Min", [
    g.op("Add", [lo, g.floats([1], [])]),
    g.floats([TRAIN_TIMESTEPS - 1], []),
  ]);
  const at = (x: string) => g.op("Gather", [table, g.op("Cast", [x], { to: 7 })]);
  const frac = g.op("Sub", [t, lo]);
  const alphaBar = g.op("Add", [at(lo), g.op("Mul", [frac, g.op("Sub", [at(hi), at(lo)])])]);
  const signal = g.op("Sqrt", [alphaBar]);
  const noise = g.op("Sqrt", [g.op("Sub", [g.floats([1], []), alphaBar])]);
  return { signal, noise, alphaBar };
}

/** [B, C, H, W] → [B, C, GRID, GRID] block means. */
function blockMeans(g: GraphBuilder, x: string, height: string, width: string): string {
  const cell = (n: string) => g.op("Div", [n, g.ints([GRID])]);
  const shape = g.op(
    "Concat",
    [g.ints([-1, LATENT_CHANNELS, GRID]), cell(height), g.ints([GRID]), cell(width)],
    { axis: 0 },
  );
  return g.op("ReduceMean", [g.op("Reshape", [x, shape])], { axes: [3, 5], keepdims: 0 });
}

/**
 * Posterior-mean gain for a block mean under the Gaussian field prior N(0, s²) observed as
 * sqrt(ᾱ)·field + sqrt(1 − ᾱ)·noise averaged over n pixels: sqrt(ᾱ)·s² / (ᾱ·s² + (1 − ᾱ)/n).
 */
function fieldGain(g: GraphBuilder, levels: NoiseLevels, height: string, width: string): string {
  const cells = g.op("Cast", [g.op("Mul", [height, width])], { to: 1 });
  const invN = g.op("Div", [g.floats([GRID * GRID], []), cells]);
  const prior = g.floats(
    FIELD_STD.map((s) => s * s),
    [1, LATENT_CHANNELS, 1, 1],
  );
  const noiseVar = g.op("Mul", [g.op("Sub", [g.floats([1], []), levels.alphaBar]), invN]);
  const denom = g.op("Add", [g.op("Mul", [levels.alphaBar, prior]), noiseVar]);
  return g.op("Div", [g.op("Mul", [levels.signal, prior]), denom]);
}

function upsample(g: GraphBuilder, blocks: string, like: string): string {
  return g.op("Resize", [blocks, "", "", g.op("Shape", [like])], {
    mode: "cubic",
    coordinate_transformation_mode: "half_pixel",
  });
}

/** The prompt template bg + mask·(fg − bg) in (r, g, b), with a zero shape channel: [B, 4, H, W]. */
function composeTemplate(
  g: GraphBuilder,
  cond: Conditioning,
  geometry: LatentGeometry,
  shapeField: string,
): string {
  const maskShape = g.op("Concat", [g.ints([-1, 1]), geometry.height, geometry.width], { axis: 0 });
  const logits = g.op("Reshape", [g.op("MatMul", [cond.layout, geometry.patterns]), maskShape]);
  const bent = g.op("Add", [logits, g.op("Mul", [shapeField, g.floats([FIELD_TO_MASK], [])])]);
  const mask = g.op("Sigmoid", [bent]);
  const as4d = (v: string) => g.op("Unsqueeze", [v, g.ints([2, 3])]);
  const bg = as4d(cond.background);
  const colour = g.op("Add", [bg, g.op("Mul", [mask, g.op("Sub", [as4d(cond.foreground), bg])])]);
  return g.op("Concat", [colour, g.op("Mul", [mask, g.floats([0], [])])], { axis: 1 });
}

/** x0 = template + posterior-mean seed field (unrotated basis). */
function predictX0(g: GraphBuilder, x: string, timestep: string, cond: Conditioning): Prediction {
  const geometry = buildLatentGeometry(g, x);
  const { height, width } = geometry;
  const levels = noiseLevels(g, timestep);
  const gain = fieldGain(g, levels, height, width);
  // The field seen in the noisy input; its shape channel bends the layout mask.
  const field = upsample(g, g.op("Mul", [gain, blockMeans(g, x, height, width)]), x);
  const shapeField = g.op("Slice", [field, g.ints([3]), g.ints([4]), g.ints([1])]);
  const template = composeTemplate(g, cond, geometry, shapeField);
  // The input's block means also hold √ᾱ·template; that share is not field, so take it back out.
  const templateShare = g.op("Mul", [
    g.op("Mul", [gain, levels.signal]),
    blockMeans(g, template, height, width),
  ]);
  const x0 = g.op("Sub", [g.op("Add", [template, field]), upsample(g, templateShare, x)]);
  return { x0, levels };
}

export function buildUnet(variant: TinyVariant): Uint8Array {
  const g = new GraphBuilder("tiny_unet");
  const sample = g.input("sample", "float", ["batch_size", "num_channels", "height", "width"]);
  const timestep = g.input(
    "timestep",
    variant.timestep === "int64-1" ? "int64" : "float",
    TIMESTEP_DIMS[variant.timestep],
  );
  const ehs = g.input("encoder_hidden_states", "float", [
    "batch_size",
    "sequence_length",
    HIDDEN_SIZE,
  ]);
  // Optimum declares it last; diffusers adds its projection to the timestep sinusoids.
  const timestepCond = variant.timestepCond
    ? g.input("timestep_cond", "float", ["batch_size", TIME_COND_PROJ_DIM])
    : undefined;
  const rotation = latentRotation();
  const unrotate = rotation[0]!.map((_, i) => rotation.map((row) => row[i]!)); // Rᵀ
  const x = conv1x1(g, sample, "conv_in.weight", unrotate);
  const cond = buildConditioning(g, ehs);
  const { x0: composed, levels } = predictX0(g, x, timestep, cond);
  const detail = buildResnetTrunk(g, {
    sample,
    timeEmbedding: buildTimestepEmbedding(g, timestep, timestepCond),
    context: cond.pooled,
    contextDim: POOLED_DIM,
  });
  const x0 = conv1x1(g, g.op("Add", [composed, detail]), "conv_out.weight", rotation);
  const eps = g.op("Div", [g.op("Sub", [sample, g.op("Mul", [levels.signal, x0])]), levels.noise]);
  g.emit(eps, "out_sample");
  g.output("out_sample", "float", ["batch_size", LATENT_CHANNELS, "height", "width"]);
  return g.toBytes();
}
