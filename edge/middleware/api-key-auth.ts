// Authenticates `Authorization: Bearer drk_…` into `c.var.auth`; the key itself is never logged or audited.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import { looksLikeKey } from "../services/keys/key-material";

const REASON_MESSAGE = {
  unknown: "Incorrect API key provided.",
  revoked: "This API key has been revoked.",
  expired: "This API key has expired.",
} as const;

/** The token of a Bearer header, null when there is no usable Authorization header at all. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1] ?? null;
}

export function apiKeyAuth() {
  return createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    const header = c.req.header("authorization");
    const token = bearerToken(header);
    if (token === null) {
      const message = header
        ? "Authorization header must be 'Bearer <API key>'."
        : "You didn't provide an API key. Send it as 'Authorization: Bearer <API key>'.";
      throw new ApiError(header ? "invalid_api_key" : "missing_api_key", message);
    }
    if (!looksLikeKey(token)) throw new ApiError("invalid_api_key", REASON_MESSAGE.unknown);
    const result = await c.get("services").keys.authenticate(token);
    if (!result.ok) throw new ApiError("invalid_api_key", REASON_MESSAGE[result.reason]);
    c.set("auth", result.auth);
    c.get("audit")?.note({ tenantId: result.auth.tenantId, keyId: result.auth.keyId });
    await next();
  });
}
