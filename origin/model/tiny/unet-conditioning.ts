// The UNet's cross-attention: four learned-query pools over encoder_hidden_states → colours and layout.
import { DIM, HIDDEN_SIZE, SEMANTIC_DIMS } from "./embedding-space";
import { DECODER_GAIN } from "./latent-basis";
import { LAYOUT_PATTERNS } from "./lexicon-layout";
import type { GraphBuilder } from "./onnx-graph";
import { WeightStream } from "./prng";
import { MAX_POSITIONS } from "./text-encoder-graph";

const D = HIDDEN_SIZE;
const K = LAYOUT_PATTERNS.length;
/** Heads: first-named colour (foreground), last-named colour (background), layout, style. */
const HEADS = 4;
const QUERY_GAIN = 6;
/** Per-position score slope: the foreground head prefers early colour words, the background head late ones. */
const ORDER_SLOPE = 0.4;
/** Layout logits per unit of a word's layout coefficient: sets how crisp shape edges are. */
const LAYOUT_GAIN = 8;
const PARAMS = 3 + 3 + K + 2;

export interface Conditioning {
  /** [B, 3] latent foreground and background colours (unrotated colour space). */
  foreground: string;
  background: string;
  /** [B, K] layout-pattern coefficients (logit units). */
  layout: string;
  /** [B, POOLED_DIM]: the four heads' pooled states, the prompt summary the ResNet trunk reads. */
  pooled: string;
}

export const POOLED_DIM = HEADS * D;

function queries(): Float32Array {
  const w = new WeightStream("unet.cond.query").normals(D * HEADS, 0.02);
  const focus = [DIM.colourness, DIM.colourness, DIM.layoutness, DIM.salience];
  const gains = [QUERY_GAIN, QUERY_GAIN, QUERY_GAIN, 4];
  focus.forEach((dim, head) => {
    w[dim * HEADS + head] = gains[head]!;
  });
  return w;
}

function orderBias(): Float32Array {
  const b = new Float32Array(MAX_POSITIONS * HEADS);
  for (let s = 0; s < MAX_POSITIONS; s++) {
    b[s * HEADS] = -ORDER_SLOPE * s;
    b[s * HEADS + 1] = ORDER_SLOPE * s;
  }
  return b;
}

/** [HEADS·D, PARAMS]: reads the semantic dims of each pooled head, plus faint couplings to the free dims. */
function readout(): Float32Array {
  const stream = new WeightStream("unet.cond.readout");
  const w = new Float32Array(HEADS * D * PARAMS);
  const set = (head: number, dim: number, param: number, value: number) => {
    const i = (head * D + dim) * PARAMS + param;
    w[i] = (w[i] ?? 0) + value;
  };
  for (let c = 0; c < 3; c++) {
    set(0, DIM.rgb + c, c, 1);
    set(1, DIM.rgb + c, 3 + c, 1);
    for (let f = SEMANTIC_DIMS; f < D; f++) {
      // Style-head tint: any content word shifts both colours a little.
      const tint = stream.normal() * 0.02;
      set(3, f, c, tint);
      set(3, f, 3 + c, tint);
    }
  }
  for (let k = 0; k < K; k++) {
    set(2, DIM.layout + k, 6 + k, LAYOUT_GAIN);
    for (let f = SEMANTIC_DIMS; f < D; f++) set(2, f, 6 + k, stream.normal() * 0.008);
  }
  set(3, DIM.brightness, 6 + K, 1);
  set(3, DIM.saturation, 7 + K, 1);
  return w;
}

function slice(g: GraphBuilder, x: string, from: number, to: number): string {
  return g.op("Slice", [x, g.ints([from]), g.ints([to]), g.ints([1])]);
}

/** Display colour [B,3] → latent colour: brightness/saturation, then atanh so tanh in the decoder undoes it. */
function toLatentColour(
  g: GraphBuilder,
  rgb: string,
  brightness: string,
  saturation: string,
): string {
  const lum = g.op("ReduceMean", [rgb], { axes: [1], keepdims: 1 });
  const satGain = g.op("Add", [g.op("Mul", [saturation, g.floats([0.5], [])]), g.floats([1], [])]);
  const shifted = g.op("Add", [g.op("Mul", [g.op("Sub", [rgb, lum]), satGain]), lum]);
  const lit = g.op("Add", [shifted, g.op("Mul", [brightness, g.floats([0.35], [])])]);
  const bounded = g.op("Clip", [
    g.op("Mul", [lit, g.floats([0.92], [])]),
    g.floats([-0.97], []),
    g.floats([0.97], []),
  ]);
  return g.op("Mul", [g.op("Atanh", [bounded]), g.floats([1 / DECODER_GAIN], [])]);
}

/**
 * When only one colour is named, both colour heads land on it; the background then becomes a
 * light neutral tinted by the foreground (darker when the foreground is light), so shapes show.
 */
function backgroundColour(g: GraphBuilder, fg: string, bg: string): string {
  const diff = g.op("Sub", [fg, bg]);
  const distance = g.op("ReduceSum", [g.op("Mul", [diff, diff]), g.ints([1])], { keepdims: 1 });
  const same = g.op("Exp", [g.op("Mul", [distance, g.floats([-3], [])])]);
  const lum = g.op("ReduceMean", [fg], { axes: [1], keepdims: 1 });
  const neutral = g.op("Add", [
    g.op("Sub", [g.floats([0.35], []), g.op("Mul", [lum, g.floats([0.3], [])])]),
    g.op("Mul", [g.op("Sub", [fg, lum]), g.floats([0.2], [])]),
  ]);
  const named = g.op("Mul", [bg, g.floats([0.85], [])]);
  return g.op("Add", [named, g.op("Mul", [same, g.op("Sub", [neutral, named])])]);
}

export function buildConditioning(g: GraphBuilder, encoderStates: string): Conditioning {
  const seqLen = g.op("Slice", [g.op("Shape", [encoderStates]), g.ints([1]), g.ints([2])]);
  const biasTable = g.weight("cond.order_bias", orderBias(), [MAX_POSITIONS, HEADS]);
  const bias = g.op("Slice", [biasTable, g.ints([0]), seqLen, g.ints([0])]);
  const scores = g.op("Add", [
    g.op("MatMul", [encoderStates, g.weight("cond.query", queries(), [D, HEADS])]),
    bias,
  ]);
  const weights = g.op("Transpose", [g.op("Softmax", [scores], { axis: 1 })], { perm: [0, 2, 1] });
  const pooled = g.op("Reshape", [
    g.op("MatMul", [weights, encoderStates]),
    g.ints([0, HEADS * D]),
  ]);
  const params = g.op("MatMul", [pooled, g.weight("cond.readout", readout(), [HEADS * D, PARAMS])]);
  const brightness = slice(g, params, 6 + K, 7 + K);
  const saturation = slice(g, params, 7 + K, 8 + K);
  const fgDisplay = slice(g, params, 0, 3);
  const bgDisplay = backgroundColour(g, fgDisplay, slice(g, params, 3, 6));
  return {
    foreground: toLatentColour(g, fgDisplay, brightness, saturation),
    background: toLatentColour(g, bgDisplay, brightness, saturation),
    layout: slice(g, params, 6, 6 + K),
    pooled,
  };
}
