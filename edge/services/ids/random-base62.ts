// Unbiased base62 strings from a CSPRNG, for API keys and resource ids.
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 248 = 4 × 62: bytes at or above it are discarded, so every symbol has probability exactly 1/62. */
const REJECT_FROM = 256 - (256 % ALPHABET.length);

export type RandomFill = (bytes: Uint8Array) => Uint8Array;

/** Fresh CSPRNG bytes for this call alone: what secrets (API keys) are drawn from. */
export const cryptoFill: RandomFill = (bytes) => crypto.getRandomValues(bytes);

const ENTROPY_BYTES = 4096;
let entropy = new Uint8Array(0);
let used = ENTROPY_BYTES;

/**
 * CSPRNG bytes drawn 4 KiB at a time: one `getRandomValues` per ~100 ids instead of one per id (a
 * request mints two or three). For identifiers, not secrets: bytes wait in isolate memory until used.
 */
export const pooledFill: RandomFill = (bytes) => {
  if (bytes.length > ENTROPY_BYTES) return cryptoFill(bytes);
  if (used + bytes.length > entropy.length) {
    entropy = crypto.getRandomValues(new Uint8Array(ENTROPY_BYTES));
    used = 0;
  }
  bytes.set(entropy.subarray(used, used + bytes.length));
  used += bytes.length;
  return bytes;
};

export function randomBase62(length: number, fill: RandomFill = pooledFill): string {
  let out = "";
  // ~3% of bytes are rejected; over-draw a little so one fill usually suffices.
  const pool = new Uint8Array(Math.ceil(length * 1.1) + 8);
  while (out.length < length) {
    fill(pool);
    for (const byte of pool) {
      if (byte >= REJECT_FROM) continue;
      out += ALPHABET[byte % ALPHABET.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Resource ids such as `ten_…`, `key_…` and `gen_…` (one generation attempt): 20 base62 chars
 *  ≈ 119 bits, unguessable and URL-safe. */
export function newId(prefix: "ten" | "key" | "gen"): string {
  return `${prefix}_${randomBase62(20)}`;
}
