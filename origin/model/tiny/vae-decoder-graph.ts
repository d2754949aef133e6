// The VAE decoder: un-scale, rotate latents back to colour features, upsample ×8 with smoothing convs, tanh.

import { DECODER_GAIN, LATENT_CHANNELS, latentRotation } from "./latent-basis";
import { GraphBuilder } from "./onnx-graph";
import { orthonormal, WeightStream } from "./prng";

export const SCALING_FACTOR = 0.18215;
export const VAE_SCALE_FACTOR = 8;
const FEATURES = 8;
/** How much the latent shape channel lightens or darkens the image. */
const SHAPE_TO_LUMINANCE = 0.25;

type Matrix = number[][];

function multiply(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((acc, v, k) => acc + v * b[k]![j]!, 0)));
}

/** 3×3 smoothing kernel ⊗ a channel matrix, plus faint deterministic noise so features interact. */
function smoothingConv(name: string, channels: Matrix): Float32Array {
  const taps = [0.125, 0.75, 0.125];
  const noise = new WeightStream(name);
  const out = new Float32Array(channels.length * channels[0]!.length * 9);
  let i = 0;
  for (const row of channels) {
    for (const weight of row) {
      for (const ty of taps)
        for (const tx of taps) out[i++] = weight * ty * tx + noise.normal() * 0.003;
    }
  }
  return out;
}

function conv3x3(g: GraphBuilder, x: string, name: string, channels: Matrix): string {
  const padded = g.op("Pad", [x, g.ints([0, 0, 1, 1, 0, 0, 1, 1])], { mode: "edge" });
  const w = g.weight(name, smoothingConv(name, channels), [
    channels.length,
    channels[0]!.length,
    3,
    3,
  ]);
  return g.op("Conv", [padded, w]);
}

function upsample2x(g: GraphBuilder, x: string): string {
  const scales = g.floats([1, 1, 2, 2]);
  return g.op("Resize", [x, "", scales], {
    mode: "linear",
    coordinate_transformation_mode: "half_pixel",
  });
}

/**
 * latent_sample [B, 4, h, w] (UNet latents / 0.18215) → sample [B, 3, 8h, 8w] in (-1, 1).
 * conv_in folds in the 0.18215 scale, the inverse latent rotation and a spread into 8 features;
 * conv_out projects back to (r, g, b) + shape-channel luminance, and tanh bounds the range.
 */
export function buildVaeDecoder(): Uint8Array {
  const g = new GraphBuilder("tiny_vae_decoder");
  const latent = g.input("latent_sample", "float", [
    "batch_size",
    "num_channels_latent",
    "height_latent",
    "width_latent",
  ]);
  const rotation = latentRotation();
  const unrotate = rotation[0]!.map((_, i) => rotation.map((row) => row[i]!));
  const spread = orthonormal(FEATURES, "vae.spread").map((row) => row.slice(0, LATENT_CHANNELS));
  const gains = [DECODER_GAIN, DECODER_GAIN, DECODER_GAIN, SHAPE_TO_LUMINANCE].map(
    (v) => v * SCALING_FACTOR,
  );
  const scaled = unrotate.map((row, i) => row.map((v) => v * gains[i]!));
  const convIn = multiply(spread, scaled);
  const identity = Array.from({ length: FEATURES }, (_, i) =>
    Array.from({ length: FEATURES }, (_, j) => (i === j ? 1 : 0)),
  );
  const toRgb: Matrix = [
    [1, 0, 0, 1],
    [0, 1, 0, 1],
    [0, 0, 1, 1],
  ];
  const spreadT = spread[0]!.map((_, i) => spread.map((row) => row[i]!));
  const convOut = multiply(toRgb, spreadT);

  let h = g.op("Conv", [
    latent,
    g.weight("conv_in.weight", convIn.flat(), [FEATURES, LATENT_CHANNELS, 1, 1]),
  ]);
  h = conv3x3(g, upsample2x(g, h), "up.0.conv.weight", identity);
  h = conv3x3(g, upsample2x(g, h), "up.1.conv.weight", identity);
  h = g.op("Conv", [
    upsample2x(g, h),
    g.weight("conv_out.weight", convOut.flat(), [3, FEATURES, 1, 1]),
  ]);
  // onnxruntime's vectorised tanh can overshoot ±1 by an ulp on saturated inputs; clip makes the bound exact.
  g.emit(g.op("Clip", [g.op("Tanh", [h]), g.floats([-1], []), g.floats([1], [])]), "sample");
  g.output("sample", "float", ["batch_size", 3, "height", "width"]);
  return g.toBytes();
}
