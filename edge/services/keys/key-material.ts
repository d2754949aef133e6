// API key material: generation (`drk_` + base62), the SHA-256 hash stored at rest, and the display prefix.
import { sha256Hex } from "../../../protocol/signing";
import { cryptoFill, randomBase62 } from "../ids/random-base62";

export const KEY_PREFIX = "drk_";
/** 40 base62 chars ≈ 238 bits: a plain SHA-256 suffices at rest, no slow KDF needed. */
export const KEY_RANDOM_CHARS = 40;
const DISPLAY_CHARS = 6;
const KEY_SHAPE = /^drk_[0-9A-Za-z]{32,128}$/;

export interface KeyMaterial {
  /** The plaintext: returned to the caller once and never stored. */
  key: string;
  hash: string;
  prefix: string;
}

export async function generateKey(): Promise<KeyMaterial> {
  const key = `${KEY_PREFIX}${randomBase62(KEY_RANDOM_CHARS, cryptoFill)}`;
  return { key, hash: hashKey(key), prefix: displayPrefix(key) };
}

export function hashKey(key: string): string {
  return sha256Hex(key);
}

export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + DISPLAY_CHARS);
}

/** Cheap shape check so junk never costs a KV or D1 lookup. */
export function looksLikeKey(candidate: string): boolean {
  return KEY_SHAPE.test(candidate);
}
