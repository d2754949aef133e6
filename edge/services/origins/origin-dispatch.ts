// Sends a generation to the configured origins in order, moving on only when one gave no answer or a 5xx.
import type { GenerateRequestInput, GenerateResponse } from "../../../protocol/generate";
import { type AttemptFailure, callOrigin, type FetchLike } from "./origin-call";
import type { OriginTarget } from "./origin-config";
import type { OriginErrorBody } from "./origin-response";

/** The origin's own deadline check normally answers first; this covers the response's transfer. */
export const RESPONSE_GRACE_MS = 2_000;
/** Below this much budget another attempt cannot finish, so it is not made. */
const MIN_ATTEMPT_MS = 100;

export type DispatchFailure =
  /** No origin configured, reachable or ready (503 not_ready) within the budget. */
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
}

export class OriginDispatcher {
  constructor(
    private readonly targets: readonly OriginTarget[],
    private readonly options: DispatchOptions,
  ) {}

  /** `budgetMs` is the whole request's deadline; each attempt gets what is left of it. */
  async generate(
    request: OriginRequest,
    budgetMs: number,
    traceparent: string,
  ): Promise<DispatchResult> {
    const now = this.options.now ?? Date.now;
    const fetcher: FetchLike = this.options.fetch ?? ((input, init) => fetch(input, init));
    const startedAt = now();
    let attempts = 0;
    let serverError: string | null = null;
    for (const target of this.targets) {
      const remaining = budgetMs - (now() - startedAt);
      if (remaining < MIN_ATTEMPT_MS) {
        return { ok: false, failure: { kind: "deadline_exceeded", region: null }, attempts };
      }
      attempts += 1;
      const result = await callOrigin(
        target,
        { ...request, deadline_ms: Math.floor(remaining) },
        {
          secret: this.options.secret,
          timeoutMs: remaining + RESPONSE_GRACE_MS,
          traceparent,
          fetch: fetcher,
        },
      );
      if (result.ok)
        return { ok: true, region: target.region, response: result.response, attempts };
      const verdict = judge(result.failure, target.region);
      if (verdict === "next") continue;
      if (verdict === "next_after_error") {
        serverError = target.region;
        continue;
      }
      return { ok: false, failure: verdict, attempts };
    }
    const failure: DispatchFailure = serverError
      ? { kind: "upstream_error", region: serverError }
      : { kind: "no_capacity" };
    return { ok: false, failure, attempts };
  }
}

function judge(
  failure: AttemptFailure,
  region: string,
): DispatchFailure | "next" | "next_after_error" {
  switch (failure.kind) {
    case "unreachable":
      return "next";
    case "timeout":
      return { kind: "deadline_exceeded", region };
    case "malformed":
      return { kind: "upstream_error", region };
    case "answered":
      if (failure.status === 504) return { kind: "deadline_exceeded", region };
      if (failure.status === 503) return "next";
      if (failure.status >= 500) return "next_after_error";
      return {
        kind: "rejected",
        region,
        status: failure.status,
        error: failure.error,
        retryAfterSeconds: failure.retryAfterSeconds,
      };
  }
}
