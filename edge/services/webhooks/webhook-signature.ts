// Webhook signatures in the Standard Webhooks scheme: sign on the edge, verify in a tenant's receiver.
//
// Every delivery carries three headers:
//   webhook-id         msg_… — the same on every retry of one delivery; dedupe on it
//   webhook-timestamp  unix seconds of this attempt
//   webhook-signature  "v1,<base64 HMAC-SHA256(key, `${id}.${timestamp}.${body}`)>" (space-separated
//                      list; any one entry matching is enough, so secrets can rotate)
// The key is the tenant's secret (`whsec_<base64>`, from GET /v1/webhooks/secret) base64-decoded.
// To verify: take the RAW body bytes (never re-serialised JSON), recompute the HMAC, compare in
// constant time, and reject timestamps more than 5 minutes from your clock (replay window).
// `verifyWebhook` below does exactly that and runs in Node ≥ 18, Workers, Deno and browsers; any
// Standard Webhooks library (standardwebhooks, svix) verifies these deliveries too.
// See edge/services/webhooks/README.md.
import { constantTimeEqual } from "../../../protocol/signing";

export const WEBHOOK_ID_HEADER = "webhook-id";
export const WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp";
export const WEBHOOK_SIGNATURE_HEADER = "webhook-signature";
export const SECRET_PREFIX = "whsec_";
/** The receiver's default replay window, as Standard Webhooks recommends. */
export const DEFAULT_TOLERANCE_S = 300;

const encoder = new TextEncoder();
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Null when the text is not base64. */
function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** `whsec_<base64>` → key bytes; null for a malformed secret. The prefix is optional, as in the spec. */
export function secretKeyBytes(secret: string): Uint8Array | null {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const bytes = fromBase64(encoded);
  return bytes && bytes.length >= 16 ? bytes : null;
}

async function importKey(keyBytes: Uint8Array): Promise<HmacKey> {
  return crypto.subtle.importKey(
    "raw",
    keyBytes as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

function signedContent(id: string, timestamp: number, body: string | Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const payload = typeof body === "string" ? encoder.encode(body) : body;
  const content = new Uint8Array(prefix.length + payload.length);
  content.set(prefix, 0);
  content.set(payload, prefix.length);
  return content;
}

async function signatureOf(key: HmacKey, id: string, timestamp: number, body: string | Uint8Array) {
  const content = signedContent(id, timestamp, body) as Uint8Array<ArrayBuffer>;
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, content)));
}

/** The three headers of one delivery attempt, with one `v1,` signature per secret (several while a
 *  secret rotates). Throws on a malformed secret: that is a bug, not input. */
export async function signWebhook(
  secrets: string | readonly string[],
  message: { id: string; timestampS: number; body: string },
): Promise<Record<string, string>> {
  const signatures = await Promise.all(
    (typeof secrets === "string" ? [secrets] : secrets).map(async (secret) => {
      const keyBytes = secretKeyBytes(secret);
      if (!keyBytes) throw new Error("webhook signing secret is malformed");
      const key = await importKey(keyBytes);
      return `v1,${await signatureOf(key, message.id, message.timestampS, message.body)}`;
    }),
  );
  return {
    [WEBHOOK_ID_HEADER]: message.id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(message.timestampS),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(" "),
  };
}

/** A Fetch `Headers`, or Node's `IncomingHttpHeaders` (lower-case names, string or string[]). */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | null {
  if (typeof headers.get === "function") return (headers.get as (n: string) => string | null)(name);
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

export type WebhookVerification =
  | { ok: true; id: string; timestampS: number }
  | { ok: false; reason: "missing" | "malformed" | "stale" | "mismatch" };

/**
 * Checks one received delivery. `body` must be the raw bytes or text as received. `now` is epoch
 * milliseconds (default: the clock); `toleranceS` bounds the timestamp's distance from it.
 */
export async function verifyWebhook(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: { toleranceS?: number; now?: number } = {},
): Promise<WebhookVerification> {
  const id = header(headers, WEBHOOK_ID_HEADER);
  const timestamp = header(headers, WEBHOOK_TIMESTAMP_HEADER);
  const signatures = header(headers, WEBHOOK_SIGNATURE_HEADER);
  if (!id || !timestamp || !signatures) return { ok: false, reason: "missing" };
  const keyBytes = secretKeyBytes(secret);
  if (!keyBytes || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "malformed" };
  const timestampS = Number(timestamp);
  const nowS = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(nowS - timestampS) > (options.toleranceS ?? DEFAULT_TOLERANCE_S)) {
    return { ok: false, reason: "stale" };
  }
  const expected = await signatureOf(await importKey(keyBytes), id, timestampS, body);
  // Unknown versions are skipped, as the spec asks, so a future scheme can be sent alongside.
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",", 2);
    if (version === "v1" && signature && constantTimeEqual(signature, expected)) {
      return { ok: true, id, timestampS };
    }
  }
  return { ok: false, reason: "mismatch" };
}
