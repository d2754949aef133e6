// How a generation that did not deliver answers the client: each failure value → one ApiError with headers.
import { ApiError } from "../errors/api-error";
import type { GenerationOutcome } from "../services/generation/image-generation";
import type { DispatchFailure } from "../services/origins/origin-dispatch";
import { rateLimitHeaders } from "../services/tenant-gate/rate-limit-headers";
import type { RateLimitInfo } from "../services/tenant-gate/tenant-gate";

type Failure = Extract<GenerationOutcome<unknown>, { ok: false }>;

/** Beyond this, OpenAI's SDK would sleep for the whole Retry-After (to next month): tell it not to retry. */
const LONGEST_SDK_RETRY_S = 60;
/** Origins that could not take the request may be back within seconds (restart, warm-up). */
const NO_CAPACITY_RETRY_S = 5;

export function generationError(failure: Failure): ApiError {
  switch (failure.reason) {
    case "content_policy": {
      const why =
        failure.safety.category === "internal_check_error" || failure.safety.category === null
          ? "it could not be checked"
          : `category: ${failure.safety.category}`;
      return new ApiError(
        "content_policy_violation",
        `Your request was rejected by darkroom's safety system (${why}). Nothing was charged.`,
        { param: "prompt" },
      );
    }
    case "admission":
      return admissionError(failure.rejection, failure.retryAfterSeconds, failure.rateLimit);
    case "origin":
      return originError(failure.failure, rateLimitHeaders(failure.rateLimit));
  }
}

function admissionError(
  rejection: Extract<Failure, { reason: "admission" }>["rejection"],
  retryAfterSeconds: number,
  rateLimit: RateLimitInfo,
): ApiError {
  if (rejection === "duplicate_request") {
    // Ids are minted per attempt, so this means a replayed internal id: refuse, never run twice.
    return new ApiError("idempotency_conflict", "This request was already processed.", {
      headers: { ...rateLimitHeaders(rateLimit), "x-should-retry": "false" },
    });
  }
  if (rejection === "exceeds_quota") {
    return new ApiError(
      "invalid_request",
      "n asks for more images than the tenant's whole monthly quota. Ask for fewer images, or have the quota raised.",
      { param: "n", headers: rateLimitHeaders(rateLimit) },
    );
  }
  const headers = rateLimitHeaders(rateLimit, retryAfterSeconds);
  const message = {
    rate_limit_exceeded: `Rate limit reached: ${rateLimit.limit} generation requests per minute.`,
    concurrency_limit: "Too many generations in flight for this tenant; retry when one finishes.",
    insufficient_quota: "The monthly image quota is used up, or held by requests in flight.",
  }[rejection];
  if (retryAfterSeconds > LONGEST_SDK_RETRY_S) headers["x-should-retry"] = "false";
  return new ApiError(rejection, message, { headers });
}

function originError(failure: DispatchFailure, headers: Record<string, string>): ApiError {
  switch (failure.kind) {
    case "no_capacity":
      return new ApiError(
        "no_capacity",
        "No region can take this request now. Nothing was charged.",
        {
          headers: { ...headers, "retry-after": String(NO_CAPACITY_RETRY_S) },
        },
      );
    case "upstream_error":
      return new ApiError("upstream_error", "The region failed to generate. Nothing was charged.", {
        headers,
      });
    case "deadline_exceeded":
      // A retry of the same request gets the same deadline: OpenAI's SDK would otherwise send it
      // twice more, each waiting up to the tier's whole deadline.
      return new ApiError(
        "deadline_exceeded",
        "The images could not be generated within the tier's deadline. Nothing was charged. Ask for fewer images, a smaller size or fewer steps, or use a tier with a longer deadline.",
        { headers: { ...headers, "x-should-retry": "false" } },
      );
    case "rejected":
      return rejectedByOrigin(failure, headers);
  }
}

function rejectedByOrigin(
  failure: Extract<DispatchFailure, { kind: "rejected" }>,
  headers: Record<string, string>,
): ApiError {
  if (failure.error.code === "overloaded" || failure.status === 429) {
    const retry = Math.max(1, failure.retryAfterSeconds ?? 1);
    // The origin's wait can be minutes (predicted work beyond the deadline), which OpenAI's SDK
    // would sleep through twice: beyond a minute, the client decides.
    const sdk: Record<string, string> =
      retry > LONGEST_SDK_RETRY_S ? { "x-should-retry": "false" } : {};
    return new ApiError(
      "overloaded",
      "The region is overloaded; retry shortly. Nothing was charged.",
      {
        headers: { ...headers, "retry-after": String(retry), ...sdk },
      },
    );
  }
  if (failure.status === 400 && failure.error.code === "invalid_request") {
    return new ApiError("invalid_request", failure.error.message, {
      param: failure.error.param,
      headers,
    });
  }
  // Anything else (a signature refused, an unexpected 4xx) is the edge's problem, not the client's.
  console.error(
    JSON.stringify({
      level: "error",
      msg: "origin refused the edge's request",
      region: failure.region,
      status: failure.status,
      code: failure.error.code,
    }),
  );
  return new ApiError("upstream_error", "The region refused the request. Nothing was charged.", {
    headers,
  });
}
