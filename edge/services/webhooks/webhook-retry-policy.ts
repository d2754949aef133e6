// When a webhook attempt counts as delivered, is worth retrying, or failed for good; and how long to wait.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Wait before attempt 2; doubles per attempt after it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Each wait is stretched by up to this fraction at random, so receivers that come back up are
   *  not hit by every sender at once. Below 1, waits still grow strictly from attempt to attempt. */
  jitter: number;
  /** One attempt's limit: connect, send and response headers. */
  timeoutMs: number;
}

/** 1 s, 2 s, 4 s … 256 s: ten attempts over about 8.5 minutes, each within 10 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  jitter: 0.2,
  timeoutMs: 10_000,
};

/** What one attempt came to, as the delivery log records it. */
export type AttemptResult =
  | { kind: "response"; statusCode: number; retryAfterS: number | null }
  | { kind: "error"; error: string };

export type AttemptVerdict = "delivered" | "retry" | "failed";

/**
 * 2xx delivers. 408, 429, 5xx, network errors and timeouts are worth retrying. Any other status
 * (a 3xx included: redirects are not followed, since the target was never validated) will not
 * change by asking again.
 */
export function verdictOf(result: AttemptResult): AttemptVerdict {
  if (result.kind === "error") return "retry";
  const code = result.statusCode;
  if (code >= 200 && code < 300) return "delivered";
  if (code === 408 || code === 429 || code >= 500) return "retry";
  return "failed";
}

/**
 * The wait after attempt `attempt` (1-based) failed: base · 2^(attempt−1), capped, stretched by
 * jitter; a receiver's Retry-After (seconds) may lengthen it, never beyond the cap.
 */
export function backoffMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterS: number | null = null,
): number {
  const exponential = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  const jittered = Math.min(policy.maxDelayMs, capped * (1 + policy.jitter * random()));
  const asked = retryAfterS === null ? 0 : Math.min(policy.maxDelayMs, retryAfterS * 1000);
  return Math.round(Math.max(jittered, asked));
}

/** Retry-After in delta-seconds form; an HTTP date or junk is ignored. */
export function parseRetryAfter(value: string | null): number | null {
  if (!value || !/^\d{1,7}$/.test(value.trim())) return null;
  return Number(value.trim());
}
