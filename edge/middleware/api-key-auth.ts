// Authenticates `Authorization: Bearer drk_…` into `c.var.auth`; the key itself is never logged or audited.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import { looksLikeKey } from "../services/keys/key-material";
import type { LookupGuard } from "../services/keys/key-store";

const REASON_MESSAGE = {
  unknown: "Incorrect API key provided.",
  revoked: "This API key has been revoked.",
  expired: "This API key has expired.",
} as const;

/** The binding's window (wrangler.toml `KEY_LOOKUP_LIMIT`, period 60): a refused address waits it out. */
const LOOKUP_LIMIT_RETRY_AFTER_S = 60;

/** The token of a Bearer header, null when there is no usable Authorization header at all. */
export function bearerToken(header: string | undefined): string | null {
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1] ?? null;
}

/**
 * The guard on D1 key lookups for this request's client address, or none. Cloudflare sets
 * `cf-connecting-ip` on every request it proxies, replacing any the client sent, so behind
 * Cloudflare it cannot be spoofed. Where it is absent (wrangler dev, tests, the benches) or the
 * KEY_LOOKUP_LIMIT binding is not configured, no limit applies.
 */
function keyLookupGuard(c: Context<AppEnv>): LookupGuard | undefined {
  const limiter = c.env.KEY_LOOKUP_LIMIT;
  const address = c.req.header("cf-connecting-ip");
  if (!limiter || !address) return undefined;
  return async () => {
    try {
      return (await limiter.limit({ key: address })).success;
    } catch (error) {
      // Open on a limiter fault: the limit only shields D1, and a fault must not refuse new keys.
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: "key lookup limiter failed; lookup allowed",
          message: error instanceof Error ? error.message : String(error),
        }),
      );
      return true;
    }
  };
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
    const result = await c.get("services").keys.authenticate(token, keyLookupGuard(c));
    if (!result.ok && result.reason === "lookup_limited") {
      throw new ApiError(
        "rate_limit_exceeded",
        "Too many requests with unrecognised API keys came from this address; try again later.",
        { headers: { "Retry-After": String(LOOKUP_LIMIT_RETRY_AFTER_S) } },
      );
    }
    if (!result.ok) throw new ApiError("invalid_api_key", REASON_MESSAGE[result.reason]);
    c.set("auth", result.auth);
    c.get("audit")?.note({ tenantId: result.auth.tenantId, keyId: result.auth.keyId });
    await next();
  });
}
