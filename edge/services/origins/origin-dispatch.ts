// Sends a generation to the request's candidate origins in order, failing over only before the first byte.
import type { GenerateRequestInput, GenerateResponse } from "../../../protocol/generate";
import { type AttemptVerdict, mayTry, type RouteCandidate } from "../regions/region-router";
import { DEFAULT_FAILOVER_TIMING, type FailoverTiming, firstByteBudget } from "./failover-timing";
import { type AttemptFailure, callOrigin, type FetchLike } from "./origin-call";
import type { OriginErrorBody } from "./origin-response";
import { hasOriginSecret, isRefusedSignature, logRefusedSignature } from "./origin-secret";

/** The origin's own deadline check normally answers first; this covers the response's transfer. */
export const RESPONSE_GRACE_MS = 2_000;
/** Below this much budget another attempt cannot finish, so it is not made. */
const MIN_ATTEMPT_MS = 100;

export type DispatchFailure =
  /** No origin usable, reachable or ready (503 not_ready) within the budget. */
  | { readonly kind: "no_capacity" }
  /** An origin failed with a 5xx of its own, or sent a success we could not read. */
  | { readonly kind: "upstream_error"; readonly region: string }
  | { readonly kind: "deadline_exceeded"; readonly region: string | null }
  /** A 4xx answer: final, the next origin would say the same. */
  | {
      readonly kind: "rejected";
      readonly region: string;
      readonly status: number;
      readonly error: OriginErrorBody;
      readonly retryAfterSeconds: number | null;
    };

export type DispatchResult =
  | {
      readonly ok: true;
      readonly region: string;
      readonly response: GenerateResponse;
      readonly attempts: number;
    }
  | { readonly ok: false; readonly failure: DispatchFailure; readonly attempts: number };

export type OriginRequest = Omit<GenerateRequestInput, "deadline_ms">;

export interface DispatchOptions {
  readonly secret: string;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
  /** Told each attempt's verdict and when that attempt began (passive health for the region's
   *  circuit breaker); must not block. */
  readonly record?: (region: string, verdict: AttemptVerdict, startedAt: number) => void;
  readonly timing?: Partial<FailoverTiming>;
}

/** What one attempt means for the request: done, try the next candidate, or a final failure. */
type Step =
  | { readonly next: "unreachable" | "server_error" | "timeout" }
  /** The origin's queue is full (429): nothing ran there, so the next region may take it. */
  | { readonly next: "busy"; readonly refusal: DispatchFailure }
  | { readonly final: DispatchFailure };

/** An origin's 429 `overloaded`: it queued nothing, and another region may have room. */
export const isOverloaded = (failure: DispatchFailure) =>
  failure.kind === "rejected" && failure.status === 429;

/**
 * Of two overloaded refusals, the one whose region frees up sooner: if every region is full, the
 * client is told the shortest wait.
 */
export function sooner(a: DispatchFailure | null, b: DispatchFailure): DispatchFailure {
  if (a?.kind !== "rejected" || b.kind !== "rejected") return b;
  return (b.retryAfterSeconds ?? 1) < (a.retryAfterSeconds ?? 1) ? b : a;
}

export class OriginDispatcher {
  private readonly timing: FailoverTiming;

  constructor(private readonly options: DispatchOptions) {
    this.timing = { ...DEFAULT_FAILOVER_TIMING, ...options.timing };
  }

  /**
   * `candidates` come best first from the RegionRouter; `budgetMs` is the whole request's deadline.
   * Every attempt but the last gets a first-byte budget from its predicted time-to-image that leaves
   * room for the next; the last gets what is left. An attempt given up closes its connection, and
   * the origin cancels that run at its next step boundary: the request runs on one origin at a time.
   * A half-open candidate is tried only if the board grants it the region's one trial then.
   */
  async generate(
    candidates: readonly RouteCandidate[],
    request: OriginRequest,
    budgetMs: number,
    traceparent: string,
  ): Promise<DispatchResult> {
    if (!hasOriginSecret(this.options.secret)) {
      return { ok: false, failure: { kind: "no_capacity" }, attempts: 0 };
    }
    const now = this.options.now ?? Date.now;
    const fetcher: FetchLike = this.options.fetch ?? ((input, init) => fetch(input, init));
    const startedAt = now();
    let attempts = 0;
    let serverError: string | null = null;
    let timedOut: string | null = null;
    let busy: DispatchFailure | null = null;
    for (const [i, target] of candidates.entries()) {
      const remaining = budgetMs - (now() - startedAt);
      if (remaining < MIN_ATTEMPT_MS) {
        return { ok: false, failure: { kind: "deadline_exceeded", region: timedOut }, attempts };
      }
      if (!(await mayTry(target))) continue;
      const firstByteMs = firstByteBudget(
        target,
        candidates[i + 1] ?? null,
        remaining,
        this.timing,
      );
      attempts += 1;
      const attemptStartedAt = now();
      const result = await callOrigin(
        target,
        { ...request, deadline_ms: Math.floor(remaining) },
        {
          secret: this.options.secret,
          timeoutMs: remaining + RESPONSE_GRACE_MS,
          firstByteMs: firstByteMs ?? remaining + RESPONSE_GRACE_MS,
          traceparent,
          fetch: fetcher,
        },
      );
      const verdict = result.ok ? "success" : verdictOf(result.failure);
      this.options.record?.(target.region, verdict, attemptStartedAt);
      if (result.ok) {
        return { ok: true, region: target.region, response: result.response, attempts };
      }
      const step = judge(result.failure, target.region);
      if ("final" in step) return { ok: false, failure: step.final, attempts };
      // Not enough room was left to give a next candidate its share: this was the last attempt.
      if (firstByteMs === null && step.next === "timeout") {
        return {
          ok: false,
          failure: { kind: "deadline_exceeded", region: target.region },
          attempts,
        };
      }
      if (step.next === "busy") busy = sooner(busy, step.refusal);
      if (step.next === "server_error") serverError = target.region;
      if (step.next === "timeout") timedOut = target.region;
    }
    // A full queue says when to come back, which beats any other failure for the client.
    if (busy) return { ok: false, failure: busy, attempts };
    const failure: DispatchFailure = serverError
      ? { kind: "upstream_error", region: serverError }
      : timedOut
        ? { kind: "deadline_exceeded", region: timedOut }
        : { kind: "no_capacity" };
    return { ok: false, failure, attempts };
  }
}

/** Passive health: the origin did the work or refused for the request's own reasons (a 4xx, or a 504
 *  judging the request too big for its deadline) → success; no answer, any other 5xx, no first byte
 *  in time, or an answer we cannot use → failure. Otherwise one tenant repeating a request no origin
 *  could finish in time (refunded, so free) would open every region's breaker for everyone. */
function verdictOf(failure: AttemptFailure): AttemptVerdict {
  if (failure.kind !== "answered") return "failure";
  const { status, error } = failure;
  if (isRefusedSignature(status, error.code)) return "failure";
  return status < 500 || answeredDeadline(status, error.code) ? "success" : "failure";
}

/** The origin's own answer that the request cannot finish within its deadline there: its health is fine. */
export const answeredDeadline = (status: number, code: string | null) =>
  status === 504 && code === "deadline_exceeded";

function judge(failure: AttemptFailure, region: string): Step {
  switch (failure.kind) {
    case "unreachable":
      return { next: "unreachable" };
    case "timeout":
      return { next: "timeout" };
    case "cut_off":
      return { final: { kind: "deadline_exceeded", region } };
    case "malformed":
      return { final: { kind: "upstream_error", region } };
    case "answered":
      if (failure.status === 504) return { final: { kind: "deadline_exceeded", region } };
      if (failure.status === 503) return { next: "unreachable" };
      if (isRefusedSignature(failure.status, failure.error.code)) {
        logRefusedSignature(region);
        return { next: "server_error" };
      }
      if (failure.status >= 500) return { next: "server_error" };
      {
        const refusal: DispatchFailure = {
          kind: "rejected",
          region,
          status: failure.status,
          error: failure.error,
          retryAfterSeconds: failure.retryAfterSeconds,
        };
        return isOverloaded(refusal) ? { next: "busy", refusal } : { final: refusal };
      }
  }
}
