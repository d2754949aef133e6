// The text encoder: a one-layer pre-LN causal transformer in CLIPTextModel's I/O shape.
import { HIDDEN_SIZE, tokenEmbedding } from "./embedding-space";
import { GraphBuilder } from "./onnx-graph";
import { WeightStream } from "./prng";
import type { TinyVariant } from "./variant";
import type { Vocabulary } from "./vocabulary";

export const MAX_POSITIONS = 77;
export const ATTENTION_HEADS = 2;
export const INTERMEDIATE_SIZE = 4 * HIDDEN_SIZE;
const D = HIDDEN_SIZE;

function layerNorm(g: GraphBuilder, x: string, name: string): string {
  const scale = g.weight(`${name}.weight`, new Float32Array(D).fill(1), [D]);
  const bias = g.weight(`${name}.bias`, new Float32Array(D), [D]);
  return g.op("LayerNormalization", [x, scale, bias], { axis: -1, epsilon: { float: 1e-5 } });
}

function linear(
  g: GraphBuilder,
  x: string,
  name: string,
  inDim: number,
  outDim: number,
  std: number,
): string {
  const w = g.weight(`${name}.weight`, new WeightStream(name).normals(inDim * outDim, std), [
    inDim,
    outDim,
  ]);
  const b = g.weight(`${name}.bias`, new Float32Array(outDim), [outDim]);
  return g.op("Add", [g.op("MatMul", [x, w]), b]);
}

/** Causal self-attention; the output projection is small so the residual stream keeps token meaning. */
function selfAttention(g: GraphBuilder, x: string, seqLen: string): string {
  const headDim = D / ATTENTION_HEADS;
  const split = (t: string) =>
    g.op("Transpose", [g.op("Reshape", [t, g.ints([0, 0, ATTENTION_HEADS, headDim])])], {
      perm: [0, 2, 1, 3],
    });
  const q = split(linear(g, x, "attn.q_proj", D, D, 1 / Math.sqrt(D)));
  const k = split(linear(g, x, "attn.k_proj", D, D, 1 / Math.sqrt(D)));
  const v = split(linear(g, x, "attn.v_proj", D, D, 1 / Math.sqrt(D)));
  const scores = g.op("Mul", [
    g.op("MatMul", [q, g.op("Transpose", [k], { perm: [0, 1, 3, 2] })]),
    g.floats([1 / Math.sqrt(headDim)], []),
  ]);
  const maskValues = new Float32Array(MAX_POSITIONS * MAX_POSITIONS);
  for (let i = 0; i < MAX_POSITIONS; i++)
    for (let j = i + 1; j < MAX_POSITIONS; j++) maskValues[i * MAX_POSITIONS + j] = -1e4;
  const fullMask = g.weight("attn.causal_mask", maskValues, [MAX_POSITIONS, MAX_POSITIONS]);
  const mask = g.op("Slice", [
    fullMask,
    g.ints([0, 0]),
    g.op("Concat", [seqLen, seqLen], { axis: 0 }),
    g.ints([0, 1]),
  ]);
  const probs = g.op("Softmax", [g.op("Add", [scores, mask])], { axis: -1 });
  const merged = g.op("Reshape", [
    g.op("Transpose", [g.op("MatMul", [probs, v])], { perm: [0, 2, 1, 3] }),
    g.ints([0, 0, D]),
  ]);
  return linear(g, merged, "attn.out_proj", D, D, 0.012 / Math.sqrt(D));
}

/** MLP with CLIP's quick_gelu (x·σ(1.702x)). */
function mlp(g: GraphBuilder, x: string): string {
  const h = linear(g, x, "mlp.fc1", D, INTERMEDIATE_SIZE, 1 / Math.sqrt(D));
  const act = g.op("Mul", [h, g.op("Sigmoid", [g.op("Mul", [h, g.floats([1.702], [])])])]);
  return linear(g, act, "mlp.fc2", INTERMEDIATE_SIZE, D, 0.012 / Math.sqrt(INTERMEDIATE_SIZE));
}

/** Token + position embeddings, sliced to the actual sequence length. */
function embed(g: GraphBuilder, vocab: Vocabulary, ids: string, seqLen: string): string {
  const table = new Float32Array(vocab.tokens.length * D);
  vocab.tokens.forEach((t, i) => {
    table.set(tokenEmbedding(t), i * D);
  });
  const tokenTable = g.weight("embeddings.token_embedding.weight", table, [vocab.tokens.length, D]);
  const posTable = g.weight(
    "embeddings.position_embedding.weight",
    new WeightStream("position").normals(MAX_POSITIONS * D, 0.02),
    [MAX_POSITIONS, D],
  );
  const positions = g.op("Slice", [posTable, g.ints([0]), seqLen, g.ints([0])]);
  return g.op("Add", [g.op("Gather", [tokenTable, ids]), positions]);
}

/**
 * The hidden state at the first position holding the highest id — the EOS token, the last id —
 * exactly as Hugging Face's CLIPTextModel pools.
 */
function poolAtEos(g: GraphBuilder, hidden: string, ids: string, seqLen: string): string {
  const eosPos = g.op("ArgMax", [g.op("Cast", [ids], { to: 1 })], { axis: 1, keepdims: 1 });
  const positionIndex = g.op("Range", [
    g.floats([0], []),
    g.op("Cast", [g.op("Squeeze", [seqLen, g.ints([0])])], { to: 1 }),
    g.floats([1], []),
  ]);
  const isEos = g.op("Equal", [g.op("Cast", [eosPos], { to: 1 }), positionIndex]);
  const onehot = g.op("Unsqueeze", [g.op("Cast", [isEos], { to: 1 }), g.ints([2])]);
  return g.op("ReduceSum", [g.op("Mul", [hidden, onehot]), g.ints([1])], { keepdims: 0 });
}

/** input_ids [batch, sequence] → last_hidden_state [batch, sequence, D], pooler_output [batch, D]. */
export function buildTextEncoder(vocab: Vocabulary, variant: TinyVariant): Uint8Array {
  const g = new GraphBuilder("tiny_text_encoder");
  const ids = g.input("input_ids", variant.inputIds, ["batch_size", "sequence_length"]);
  const seqLen = g.op("Slice", [g.op("Shape", [ids]), g.ints([1]), g.ints([2])]);
  let h = embed(g, vocab, ids, seqLen);
  h = g.op("Add", [h, selfAttention(g, layerNorm(g, h, "layer_norm1"), seqLen)]);
  h = g.op("Add", [h, mlp(g, layerNorm(g, h, "layer_norm2"))]);
  const last = layerNorm(g, h, "final_layer_norm");
  g.emit(last, "last_hidden_state");
  g.emit(poolAtEos(g, last, ids, seqLen), "pooler_output");
  g.output("last_hidden_state", "float", ["batch_size", "sequence_length", D]);
  g.output("pooler_output", "float", ["batch_size", D]);
  return g.toBytes();
}
