// Middleware: every /internal/* call must carry a valid, fresh HMAC signature over its raw body.
import { createMiddleware } from "hono/factory";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../protocol/signing";
import type { OriginEnv } from "./origin-env";
import { OriginError } from "./origin-error";

const REASONS = {
  missing: "Missing x-darkroom-timestamp or x-darkroom-signature header.",
  malformed: "Malformed signature headers.",
  stale: "Signature timestamp is outside the 60 s window.",
  mismatch: "Signature does not match.",
} as const;

export function verifySignatureMiddleware(secrets: readonly string[], nowSeconds?: () => number) {
  return createMiddleware<OriginEnv>(async function verifyOriginSignature(c, next) {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const check = await verifySignature(
      secrets,
      { timestamp: c.req.header(TIMESTAMP_HEADER), signature: c.req.header(SIGNATURE_HEADER) },
      { method: c.req.method, path: c.req.path, body },
      nowSeconds?.(),
    );
    if (!check.ok) throw new OriginError("invalid_signature", REASONS[check.reason]);
    c.set("rawBody", new TextDecoder().decode(body));
    await next();
  });
}
