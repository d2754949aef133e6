// RateLimit-* and Retry-After from admit results.
import { describe, expect, it } from "vitest";
import { admitHeaders, rateLimitHeaders } from "./rate-limit-headers";

const rateLimit = { limit: 10, remaining: 0, resetSeconds: 60 };

describe("rate limit headers", () => {
  it("carries limit, remaining and reset on every response", () => {
    expect(rateLimitHeaders({ limit: 10, remaining: 7, resetSeconds: 18 })).toEqual({
      "RateLimit-Limit": "10",
      "RateLimit-Remaining": "7",
      "RateLimit-Reset": "18",
    });
  });

  it("adds Retry-After, at least 1 s, on a 429", () => {
    const headers = admitHeaders({
      ok: false,
      reason: "rate_limit_exceeded",
      retryAfterSeconds: 6,
      rateLimit,
    });
    expect(headers["Retry-After"]).toBe("6");
    const soon = admitHeaders({
      ok: false,
      reason: "concurrency_limit",
      retryAfterSeconds: 0,
      rateLimit,
    });
    expect(soon["Retry-After"]).toBe("1");
  });

  it("adds no Retry-After to a duplicate (409) or an admission", () => {
    const duplicate = admitHeaders({
      ok: false,
      reason: "duplicate_request",
      retryAfterSeconds: 0,
      rateLimit,
    });
    expect(duplicate["Retry-After"]).toBeUndefined();
    expect(duplicate["RateLimit-Limit"]).toBe("10");
    const admitted = admitHeaders({
      ok: true,
      reservation: {
        requestId: "gen_1",
        images: 1,
        unitsPerImage: 1,
        createdAtMs: 0,
        leaseUntilMs: 60_000,
      },
      replayed: false,
      rateLimit,
      slotsLeft: 3,
    });
    expect(admitted["Retry-After"]).toBeUndefined();
    expect(admitted["RateLimit-Remaining"]).toBe("0");
  });
});
