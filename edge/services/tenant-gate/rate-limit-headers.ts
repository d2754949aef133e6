// Turns a TenantGate admission into RateLimit-* response headers, plus Retry-After on a 429.
import type { AdmitResult, RateLimitInfo } from "./tenant-gate";

export function rateLimitHeaders(
  info: RateLimitInfo,
  retryAfterSeconds?: number,
): Record<string, string> {
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(info.limit),
    "RateLimit-Remaining": String(Math.max(0, info.remaining)),
    "RateLimit-Reset": String(info.resetSeconds),
  };
  // Retry-After is whole seconds (RFC 9110); never tell a client to retry at once after a 429.
  if (retryAfterSeconds !== undefined) {
    headers["Retry-After"] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
  }
  return headers;
}

/** Headers for an admit result: Retry-After only on the 429 rejections (not on a duplicate's 409). */
export function admitHeaders(result: AdmitResult): Record<string, string> {
  if (result.ok || result.reason === "duplicate_request") return rateLimitHeaders(result.rateLimit);
  return rateLimitHeaders(result.rateLimit, result.retryAfterSeconds);
}
