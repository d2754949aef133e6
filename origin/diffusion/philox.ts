// Philox4x32-10 (Salmon et al., SC'11; Random123): a keyed counter-based generator, 4 × uint32 per call.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9; // golden ratio
const W1 = 0xbb67ae85; // √3 − 1

const TWO_POW_M32 = 2 ** -32;

/**
 * High 32 bits of the 64-bit product m · c of two uint32s, given its exact low 32 bits `lo`
 * (Math.imul). The double product m · c is off by at most 2^11 and subtracting `lo` adds at most
 * as much again, so (m · c − lo) / 2^32 lies within 2^-20 of the integer it should be: rounding
 * recovers it exactly, with two multiplications where splitting c into 16-bit halves took four
 * operations and two floors.
 */
function mulHi(m: number, c: number, lo: number): number {
  return Math.round((m * c - lo) * TWO_POW_M32);
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
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi0 = mulHi(M0, c0, lo0);
    const lo1 = Math.imul(M1, c2) >>> 0;
    const hi1 = mulHi(M1, c2, lo1);
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
