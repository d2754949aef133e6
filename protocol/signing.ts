// HMAC request signing for every /internal/* call: one implementation for Workers and Node.
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
export const TIMESTAMP_HEADER = "x-darkroom-timestamp";
export const SIGNATURE_HEADER = "x-darkroom-signature";
/** Signatures older or newer than this are rejected, and request ids are remembered this long. */
export const SIGNATURE_WINDOW_S = 60;

const encoder = new TextEncoder();

/** The 256 two-digit hex strings: one lookup per byte instead of a padStart and an array join. */
const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += HEX_BYTES[view[i]!];
  return out;
}

/**
 * SHA-256 in JavaScript (@noble/hashes), synchronous: these digests cover tens to hundreds of bytes
 * (an API key, a prompt, a request body), where WebCrypto's promise round trip cost the edge more
 * than the hashing. Same bytes as WebCrypto's digest, pinned by signing.test.ts.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return bytesToHex(sha256(typeof data === "string" ? encoder.encode(data) : data));
}

function hmacHex(secret: string, message: string): string {
  return bytesToHex(hmac(sha256, encoder.encode(secret), encoder.encode(message)));
}

export interface SignableRequest {
  method: string;
  path: string;
  body: string | Uint8Array;
}

const signedMessage = (timestamp: number, req: SignableRequest, bodyHash: string) =>
  `${timestamp}.${req.method.toUpperCase()}.${req.path}.${bodyHash}`;

export async function signatureFor(
  secret: string,
  timestamp: number,
  req: SignableRequest,
): Promise<string> {
  return hmacHex(secret, signedMessage(timestamp, req, sha256Hex(req.body)));
}

/** Headers to attach to an /internal/* call. */
export async function signRequest(
  secret: string,
  req: SignableRequest,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<Record<string, string>> {
  const sig = await signatureFor(secret, nowSeconds, req);
  return { [TIMESTAMP_HEADER]: String(nowSeconds), [SIGNATURE_HEADER]: `v1=${sig}` };
}

/** Compares two hex strings without an early exit, so timing does not reveal a prefix match. */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

/**
 * The two primitives a check needs. The default (@noble/hashes) runs anywhere; a Node process may
 * pass node:crypto's native ones, faster on large bodies.
 */
export interface SigningPrimitives {
  sha256Hex(data: string | Uint8Array): string | Promise<string>;
  hmacHex(secret: string, message: string): string | Promise<string>;
}

const PORTABLE: SigningPrimitives = { sha256Hex, hmacHex };

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

/**
 * Verifies a signed request against every currently valid secret (two during a rotation).
 * Replay of a request id is the caller's concern: only it knows which ids it has seen.
 */
export async function verifySignature(
  secrets: readonly string[],
  headers: { timestamp: string | null | undefined; signature: string | null | undefined },
  req: SignableRequest,
  nowSeconds = Math.floor(Date.now() / 1000),
  primitives: SigningPrimitives = PORTABLE,
): Promise<SignatureCheck> {
  if (!headers.timestamp || !headers.signature) return { ok: false, reason: "missing" };
  if (!/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, reason: "malformed" };
  const match = /^v1=([0-9a-f]{64})$/.exec(headers.signature);
  if (!match?.[1]) return { ok: false, reason: "malformed" };
  const timestamp = Number(headers.timestamp);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_S) return { ok: false, reason: "stale" };
  // The body is hashed once, however many secrets are tried.
  const message = signedMessage(timestamp, req, await primitives.sha256Hex(req.body));
  for (const secret of secrets) {
    const expected = await primitives.hmacHex(secret, message);
    if (constantTimeEqual(expected, match[1])) return { ok: true };
  }
  return { ok: false, reason: "mismatch" };
}
