// Unbiased base62 strings from a CSPRNG, for API keys and resource ids.
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 248 = 4 × 62: bytes at or above it are discarded, so every symbol has probability exactly 1/62. */
const REJECT_FROM = 256 - (256 % ALPHABET.length);

export type RandomFill = (bytes: Uint8Array) => Uint8Array;

const cryptoFill: RandomFill = (bytes) => crypto.getRandomValues(bytes);

export function randomBase62(length: number, fill: RandomFill = cryptoFill): string {
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
