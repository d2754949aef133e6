// Philox4x32-10 (Salmon et al., SC'11; Random123): a keyed counter-based generator, 4 × uint32 per call.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9; // golden ratio
const W1 = 0xbb67ae85; // √3 − 1

const M0_HI = M0 >>> 16;
const M0_LO = M0 & 0xffff;
const M1_HI = M1 >>> 16;
const M1_LO = M1 & 0xffff;

/**
 * High 32 bits of the 64-bit product of a multiplier (given as 16-bit halves) and a uint32: both
 * partial products stay below 2^49, so every step is exact in doubles.
 */
function mulHi(mHi: number, mLo: number, c: number): number {
  return Math.floor((mHi * c + Math.floor((mLo * c) / 65536)) / 65536);
}

/**
 * Writes Philox4x32-10(counter, key) into `out`: ten rounds, the key bumped by (W0, W1) between
 * rounds. Matches Random123's known-answer vectors.
 */
export function philox4x32x10(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  philoxBlock(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out);
  return out;
}

/** philox4x32x10 on scalars, allocation-free: the noise generator calls it once per 4 values. */
export function philoxBlock(
  counter0: number,
  counter1: number,
  counter2: number,
  counter3: number,
  key0: number,
  key1: number,
  out: Uint32Array,
): void {
  let c0 = counter0 >>> 0;
  let c1 = counter1 >>> 0;
  let c2 = counter2 >>> 0;
  let c3 = counter3 >>> 0;
  let k0 = key0 >>> 0;
  let k1 = key1 >>> 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulHi(M0_HI, M0_LO, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulHi(M1_HI, M1_LO, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const next0 = (hi1 ^ c1 ^ k0) >>> 0;
    const next2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = next0;
    c1 = lo1;
    c2 = next2;
    c3 = lo0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}
