// HMAC request signing for every /internal/* call: one implementation, WebCrypto, for Workers and Node.
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

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return toHex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

/** Imported HMAC keys by secret: importing costs as much as signing, and secrets rarely change.
 *  Bounded, since a rotation adds one. The keys themselves are kept, never a pending promise, so no
 *  Worker request ever waits on work started by another. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const hmacKeys = new Map<string, HmacKey>();
const MAX_HMAC_KEYS = 8;

async function hmacKey(secret: string): Promise<HmacKey> {
  const cached = hmacKeys.get(secret);
  if (cached) return cached;
  const raw = encoder.encode(secret);
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  if (hmacKeys.size >= MAX_HMAC_KEYS) hmacKeys.clear();
  hmacKeys.set(secret, key);
  return key;
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await hmacKey(secret);
  return toHex(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
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
  return hmacHex(secret, signedMessage(timestamp, req, await sha256Hex(req.body)));
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
 * The two primitives a check needs. WebCrypto (the default) works in Workers and Node; a Node
 * process may pass synchronous node:crypto ones, which skip two thread-pool round trips per request.
 */
export interface SigningPrimitives {
  sha256Hex(data: string | Uint8Array): string | Promise<string>;
  hmacHex(secret: string, message: string): string | Promise<string>;
}

const WEB_CRYPTO: SigningPrimitives = { sha256Hex, hmacHex };

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
  primitives: SigningPrimitives = WEB_CRYPTO,
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
