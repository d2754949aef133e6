// Admission logic with a fake clock: GCRA exactness, reset timing, attempts counting, slots and leases.
import { describe, expect, it } from "vitest";
import { admit, newGateState, usage } from "./gate-state";
import { settle } from "./settlement";
import {
  type AdmitRequest,
  type AdmitResult,
  mayDeferSettlement,
  type TenantLimits,
} from "./tenant-gate";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const LIMITS: TenantLimits = {
  rate_limit_per_minute: 10,
  max_concurrency: 100,
  monthly_image_quota: 1000,
};

function request(id: string, over: Partial<AdmitRequest> = {}): AdmitRequest {
  return { requestId: id, images: 1, unitsPerImage: 1, leaseMs: 60_000, limits: LIMITS, ...over };
}

let nextId = 0;

function burst(state = newGateState(T0), count = 50, at = T0, over: Partial<AdmitRequest> = {}) {
  const results: AdmitResult[] = [];
  for (let i = 0; i < count; i++) results.push(admit(state, request(`r${nextId++}`, over), at));
  return results;
}

const reasons = (results: AdmitResult[]) => results.map((r) => (r.ok ? "ok" : r.reason));

describe("rate limit (GCRA, burst = per-minute limit)", () => {
  it("admits exactly 10 of a burst of 50 against a limit of 10", () => {
    const results = burst();
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(reasons(results).slice(10)).toEqual(Array(40).fill("rate_limit_exceeded"));
    expect(results.slice(0, 10).map((r) => r.rateLimit.remaining)).toEqual([
      9, 8, 7, 6, 5, 4, 3, 2, 1, 0,
    ]);
  });

  it("frees one attempt per 6 s after the burst, not one millisecond earlier", () => {
    const state = newGateState(T0);
    burst(state);
    expect(admit(state, request("early"), T0 + 5_999)).toMatchObject({
      ok: false,
      reason: "rate_limit_exceeded",
      retryAfterSeconds: 1,
    });
    expect(admit(state, request("on-time"), T0 + 6_000).ok).toBe(true);
    expect(admit(state, request("again"), T0 + 6_000).ok).toBe(false);
    expect(burst(state, 50, T0 + 66_000).filter((r) => r.ok)).toHaveLength(10);
  });

  it("reports reset as seconds until the limiter is full again and Retry-After until the next slot", () => {
    const state = newGateState(T0);
    const first = admit(state, request("a"), T0);
    expect(first.rateLimit).toEqual({ limit: 10, remaining: 9, resetSeconds: 6 });
    const rest = burst(state, 10, T0);
    const rejected = rest[9];
    expect(rejected).toMatchObject({ ok: false, retryAfterSeconds: 6 });
    expect(rejected?.rateLimit).toEqual({ limit: 10, remaining: 0, resetSeconds: 60 });
    expect(admit(state, request("later"), T0 + 30_000).rateLimit.resetSeconds).toBe(36);
  });

  it("does not count attempts rejected by the rate limit itself", () => {
    const state = newGateState(T0);
    burst(state, 500);
    expect(admit(state, request("next"), T0 + 6_000).ok).toBe(true);
  });

  it("counts attempts later rejected for concurrency", () => {
    const state = newGateState(T0);
    const results = burst(state, 12, T0, { limits: { ...LIMITS, max_concurrency: 1 } });
    expect(reasons(results)).toEqual([
      "ok",
      ...Array(9).fill("concurrency_limit"),
      "rate_limit_exceeded",
      "rate_limit_exceeded",
    ]);
  });

  it("applies a changed limit on the next call, keeping the attempts already counted", () => {
    const state = newGateState(T0);
    burst(state, 5);
    const lowered = { ...LIMITS, rate_limit_per_minute: 5 };
    expect(admit(state, request("x", { limits: lowered }), T0).ok).toBe(false);
    const raised = { ...LIMITS, rate_limit_per_minute: 20 };
    expect(burst(state, 50, T0, { limits: raised }).filter((r) => r.ok)).toHaveLength(15);
  });

  it("never exceeds a limit that does not divide a minute", () => {
    const state = newGateState(T0);
    const limits = { ...LIMITS, rate_limit_per_minute: 7 };
    let admitted = 0;
    for (let ms = 0; ms < 600_000; ms += 250) {
      if (admit(state, request(`s${ms}`, { limits }), T0 + ms).ok) admitted++;
    }
    // 7 at once, then one per 60/7 s over the following 10 minutes (the last lands just after).
    expect(admitted).toBe(7 + 69);
  });

  it("rejects everything when the limit is 0", () => {
    expect(
      burst(newGateState(T0), 3, T0, { limits: { ...LIMITS, rate_limit_per_minute: 0 } }),
    ).toSatisfy((rs: AdmitResult[]) =>
      rs.every((r) => !r.ok && r.reason === "rate_limit_exceeded"),
    );
  });
});

describe("concurrency slots", () => {
  const limits = { ...LIMITS, max_concurrency: 2 };

  it("holds at most max_concurrency in flight and frees a slot on settle", () => {
    const state = newGateState(T0);
    const results = burst(state, 3, T0, { limits });
    expect(reasons(results)).toEqual(["ok", "ok", "concurrency_limit"]);
    expect(usage(state, limits, T0).in_flight).toBe(2);
    const first = results[0];
    if (!first?.ok) throw new Error("expected an admission");
    settle(state, first.reservation.requestId, 1, T0 + 10);
    expect(admit(state, request("c", { limits }), T0 + 10).ok).toBe(true);
  });

  it("expires a never-settled slot at its lease and refunds its hold", () => {
    const state = newGateState(T0);
    const one = { ...LIMITS, max_concurrency: 1 };
    expect(
      admit(state, request("crashed", { limits: one, leaseMs: 30_000, images: 3 }), T0).ok,
    ).toBe(true);
    expect(admit(state, request("b", { limits: one }), T0 + 29_999)).toMatchObject({
      reason: "concurrency_limit",
    });
    expect(usage(state, one, T0 + 29_999).images_reserved).toBe(3);
    expect(usage(state, one, T0 + 30_000)).toMatchObject({ images_reserved: 0, in_flight: 0 });
    expect(admit(state, request("c", { limits: one }), T0 + 30_000).ok).toBe(true);
  });
});

describe("idempotent admission", () => {
  it("returns the same reservation for a repeated id without counting it again", () => {
    const state = newGateState(T0);
    const first = admit(state, request("same", { images: 4 }), T0);
    const again = admit(state, request("same", { images: 4 }), T0 + 5);
    expect(again).toEqual({ ...first, replayed: true });
    expect(usage(state, LIMITS, T0 + 5).images_reserved).toBe(4);
    expect(burst(state, 20, T0 + 5).filter((r) => r.ok)).toHaveLength(9);
  });

  it("throws on malformed arguments, which are bugs in the caller", () => {
    const state = newGateState(T0);
    expect(() => admit(state, request("", {}), T0)).toThrow(RangeError);
    expect(() => admit(state, request("z", { images: 0 }), T0)).toThrow(RangeError);
    expect(() => admit(state, request("z", { images: 1.5 }), T0)).toThrow(RangeError);
  });
});

describe("billing period", () => {
  it("rolls forward at the month's start, and never back for a clock a little behind", () => {
    const feb1 = Date.UTC(2026, 1, 1);
    const state = newGateState(feb1 - 1_000);
    for (const id of ["m1", "m2"]) {
      admit(state, request(id), feb1 - 1_000);
      settle(state, id, 1, feb1 - 900);
    }
    expect(usage(state, LIMITS, feb1 - 500).images_used).toBe(2);
    admit(state, request("f1", { images: 3 }), feb1 + 50);
    settle(state, "f1", 3, feb1 + 50);
    expect(usage(state, LIMITS, feb1 + 60).images_used).toBe(3);
    // The object restarts on a machine whose clock is 100 ms behind, then catches up.
    expect(usage(state, LIMITS, feb1 - 50).images_used).toBe(3);
    expect(usage(state, LIMITS, feb1 + 70).images_used).toBe(3);
  });
});

describe("slots left, and whether a settlement may wait", () => {
  it("counts the slots still free with each admission, replays included", () => {
    const state = newGateState(T0);
    const limits = { ...LIMITS, max_concurrency: 4 };
    const left = ["s1", "s2", "s3", "s4"].map((id) => {
      const result = admit(state, request(id, { limits }), T0);
      return result.ok ? result.slotsLeft : -1;
    });
    expect(left).toEqual([3, 2, 1, 0]);
    const replay = admit(state, request("s2", { limits }), T0);
    expect(replay.ok && replay.slotsLeft).toBe(0);
  });

  it("lets a settlement wait only while at least half the tenant's slots are free", () => {
    expect([3, 2, 1, 0].map((left) => mayDeferSettlement(left, 4))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(mayDeferSettlement(0, 1)).toBe(false);
    expect(mayDeferSettlement(99, 100)).toBe(true);
  });
});
