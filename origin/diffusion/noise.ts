// Seeded, counter-based Gaussian noise: Philox4x32-10 words → Box–Muller, regenerable per (seed, stream).
//
// Exact recipe (so other languages can reproduce it bit for bit; see README.md):
//   key     = (seed, 0)                  seed: uint32
//   counter = (block, stream, 0, 0)      block = 0, 1, 2, …; stream 0 = initial latents, k+1 = step k
//   words   = Philox4x32-10(counter, key) → w0 w1 w2 w3 (uint32)
//   for each pair (a, b) = (w0, w1), (w2, w3):
//     u1 = (a + 1) / 2^32 ∈ (0, 1],  u2 = b / 2^32 ∈ [0, 1),  r = √(−2 ln u1),  θ = 2π·u2
//     emit r·cos θ, then r·sin θ      (computed in float64, then rounded to float32)
//   so block i yields outputs 4i … 4i+3; a request for n values is the first n (a prefix).

import { philoxBlock } from "./philox";
import type { StepNoise } from "./scheduler";

const TWO_POW_32 = 4294967296;

function checkUint32(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= TWO_POW_32) {
    throw new RangeError(`${what} must be a uint32, got ${value}`);
  }
}

/** Writes the Box–Muller pair of (a, b) at `offset` of `out`, dropping what falls past its end. */
function boxMuller(a: number, b: number, out: Float32Array, offset: number): void {
  const radius = Math.sqrt(-2 * Math.log((a + 1) / TWO_POW_32));
  const theta = (2 * Math.PI * b) / TWO_POW_32;
  if (offset < out.length) out[offset] = radius * Math.cos(theta);
  if (offset + 1 < out.length) out[offset + 1] = radius * Math.sin(theta);
}

/**
 * `length` standard-normal float32 values for (seed, stream). Stream 0 is the initial latent
 * noise; stream k + 1 is the noise for step k. Any stream is computed directly, without
 * generating earlier streams or steps.
 */
export function gaussianNoise(seed: number, stream: number, length: number): Float32Array {
  checkUint32("seed", seed);
  checkUint32("stream", stream);
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`bad length ${length}`);
  const out = new Float32Array(length);
  const words = new Uint32Array(4);
  for (let block = 0; block * 4 < length; block++) {
    philoxBlock(block, stream, 0, 0, seed, 0, words);
    boxMuller(words[0] as number, words[1] as number, out, block * 4);
    boxMuller(words[2] as number, words[3] as number, out, block * 4 + 2);
  }
  return out;
}

/** The initial latents' noise (stream 0), before scaling by the scheduler's initNoiseSigma. */
export function initialNoise(seed: number, length: number): Float32Array {
  return gaussianNoise(seed, 0, length);
}

/** The StepNoise a scheduler's `step` receives for `step` of the row seeded with `seed`. */
export function stepNoise(seed: number, step: number): StepNoise {
  checkUint32("seed", seed);
  if (!Number.isInteger(step) || step < 0 || step + 1 >= TWO_POW_32) {
    throw new RangeError(`bad step ${step}`);
  }
  return (length) => gaussianNoise(seed, step + 1, length);
}
