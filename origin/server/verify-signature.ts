// Middleware: every /internal/* call must carry a valid, fresh HMAC signature over its raw body.
import { createHash, createHmac } from "node:crypto";
import { createMiddleware } from "hono/factory";
import {
  SIGNATURE_HEADER,
  type SigningPrimitives,
  TIMESTAMP_HEADER,
  verifySignature,
} from "../../protocol/signing";
import type { OriginEnv } from "./origin-env";
import { OriginError } from "./origin-error";
import type { ReplayGuard } from "./replay-guard";

const REASONS = {
  missing: "Missing x-darkroom-timestamp or x-darkroom-signature header.",
  malformed: "Malformed signature headers.",
  stale: "Signature timestamp is outside the 60 s window.",
  mismatch: "Signature does not match.",
  replayed: "This signed request was already received; sign each delivery afresh.",
} as const;

/** node:crypto, synchronous: the same digests as the edge's WebCrypto, without a thread-pool hop. */
export const NODE_SIGNING: SigningPrimitives = {
  sha256Hex: (data) => createHash("sha256").update(data).digest("hex"),
  hmacHex: (secret, message) => createHmac("sha256", secret).update(message).digest("hex"),
};

/**
 * A POST whose exact signature was seen within the window is a captured request replayed: refused.
 * A fresh signature over the same request_id is an edge retry, de-duplicated by the RequestLedger.
 */
export function verifySignatureMiddleware(
  secrets: readonly string[],
  replay: ReplayGuard,
  nowSeconds?: () => number,
) {
  return createMiddleware<OriginEnv>(async function verifyOriginSignature(c, next) {
    const body = c.get("bodyBytes");
    const check = await verifySignature(
      secrets,
      { timestamp: c.req.header(TIMESTAMP_HEADER), signature: c.req.header(SIGNATURE_HEADER) },
      { method: c.req.method, path: c.req.path, body },
      nowSeconds?.(),
      NODE_SIGNING,
    );
    if (!check.ok) throw new OriginError("invalid_signature", REASONS[check.reason]);
    const signature = c.req.header(SIGNATURE_HEADER) ?? "";
    const timestamp = Number(c.req.header(TIMESTAMP_HEADER));
    if (c.req.method === "POST" && !replay.claim(signature, timestamp)) {
      throw new OriginError("invalid_signature", REASONS.replayed);
    }
    c.set("rawBody", new TextDecoder().decode(body));
    await next();
  });
}
