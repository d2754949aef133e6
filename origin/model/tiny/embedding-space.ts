// The meaning of the text encoder's hidden dimensions, and the token-embedding rows built from it.

import { lexicon, type WordMeaning } from "./lexicon";
import { LAYOUT_PATTERNS } from "./lexicon-layout";
import { WeightStream } from "./prng";
import { BOS_TOKEN, EOS_TOKEN, WORD_END } from "./vocabulary";

/** Text hidden size D (= the UNet's cross_attention_dim). */
export const HIDDEN_SIZE = 64;

/**
 * Semantic dimensions. The UNet's four attention pools score tokens by SALIENCE (style head),
 * COLOURNESS (two colour heads) and LAYOUTNESS (layout head) and read the value dimensions.
 */
export const DIM = {
  salience: 0,
  colourness: 1,
  layoutness: 2,
  rgb: 3, // 3 dims: display colour in [-1, 1]
  layout: 6, // one dim per layout pattern
  brightness: 6 + LAYOUT_PATTERNS.length,
  saturation: 7 + LAYOUT_PATTERNS.length,
} as const;
export const SEMANTIC_DIMS = 8 + LAYOUT_PATTERNS.length;

const ROLE = {
  special: { salience: -4, colourness: -4, layoutness: -4 },
  stopword: { salience: -2, colourness: -2, layoutness: -2 },
  content: { salience: 2, colourness: -1, layoutness: -1 },
};
const STRENGTH = { named: 3, hinted: 1.5 };

function semanticVector(token: string, stream: WeightStream): number[] {
  const s = new Array<number>(SEMANTIC_DIMS).fill(0);
  if (token === BOS_TOKEN || token === EOS_TOKEN) {
    s[DIM.salience] = ROLE.special.salience;
    s[DIM.colourness] = ROLE.special.colourness;
    s[DIM.layoutness] = ROLE.special.layoutness;
    return s;
  }
  const isWhole = token.endsWith(WORD_END);
  const text = isWhole ? token.slice(0, -WORD_END.length) : token;
  const meaning: WordMeaning | undefined = isWhole ? lexicon.get(text) : undefined;
  const role = meaning?.stopword || !/[a-z]/.test(text) ? ROLE.stopword : ROLE.content;
  // Style words outrank other content in the style head, which reads brightness and saturation.
  s[DIM.salience] = meaning?.style ? 3 : role.salience;
  s[DIM.colourness] = meaning?.colour ? STRENGTH[meaning.colour.strength] : role.colourness;
  s[DIM.layoutness] = meaning?.layout ? STRENGTH[meaning.layout.strength] : role.layoutness;
  // Words without a curated colour or layout still get a deterministic one of their own, so any
  // prompt (including sub-word pieces of unknown words) renders its own composition.
  for (let c = 0; c < 3; c++) s[DIM.rgb + c] = meaning?.colour?.rgb[c] ?? stream.normal() * 0.45;
  LAYOUT_PATTERNS.forEach((p, k) => {
    const curated = meaning?.layout?.coefficients;
    s[DIM.layout + k] = curated ? (curated[p] ?? 0) : stream.normal() * 0.3;
  });
  s[DIM.brightness] = meaning?.style?.brightness ?? 0;
  s[DIM.saturation] = meaning?.style?.saturation ?? 0;
  return s;
}

/**
 * One embedding row: the semantic dims, then pseudo-random dims rescaled so the whole row has
 * mean 0 and variance 1 — LayerNorm then leaves the semantic values almost untouched.
 */
export function tokenEmbedding(token: string): Float32Array {
  const stream = new WeightStream(`token:${token}`);
  const s = semanticVector(token, stream);
  const free = HIDDEN_SIZE - SEMANTIC_DIMS;
  const r = Array.from({ length: free }, () => stream.normal());
  const rMean = r.reduce((a, b) => a + b, 0) / free;
  const centred = r.map((x) => x - rMean);
  const sSum = s.reduce((a, b) => a + b, 0);
  const sSq = s.reduce((a, b) => a + b * b, 0);
  const shift = -sSum / free;
  const budget = HIDDEN_SIZE - sSq - free * shift * shift;
  if (budget <= 0) throw new Error(`semantic vector of ${token} too large for LayerNorm`);
  const scale = Math.sqrt(budget / centred.reduce((a, b) => a + b * b, 0));
  const row = new Float32Array(HIDDEN_SIZE);
  s.forEach((v, i) => {
    row[i] = v;
  });
  centred.forEach((v, i) => {
    row[SEMANTIC_DIMS + i] = v * scale + shift;
  });
  return row;
}
