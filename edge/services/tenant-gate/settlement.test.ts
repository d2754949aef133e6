// Quota as a reservation with a fake clock: hold, charge delivered, refund the rest, idempotency, month rollover.
import { describe, expect, it } from "vitest";
import {
  admit,
  type GateJournal,
  type GateState,
  newGateState,
  TOMBSTONE_PRUNE_BATCH_MS,
  TOMBSTONE_RETENTION_MS,
  usage,
} from "./gate-state";
import { settle } from "./settlement";
import type { AdmitRequest, TenantLimits } from "./tenant-gate";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const LIMITS: TenantLimits = {
  rate_limit_per_minute: 600,
  max_concurrency: 10,
  monthly_image_quota: 8,
};

function hold(
  state: GateState,
  id: string,
  images: number,
  at = T0,
  over: Partial<AdmitRequest> = {},
) {
  const request = { requestId: id, images, unitsPerImage: 4, leaseMs: 60_000, limits: LIMITS };
  return admit(state, { ...request, ...over }, at);
}

describe("reserve, charge, refund", () => {
  it("holds n images before dispatch and charges only those delivered", () => {
    const state = newGateState(T0);
    expect(hold(state, "a", 4).ok).toBe(true);
    expect(usage(state, LIMITS, T0)).toMatchObject({ images_used: 0, images_reserved: 4 });
    const settled = settle(state, "a", 3, T0 + 1_000);
    expect(settled).toEqual({
      status: "settled",
      chargedImages: 3,
      refundedImages: 1,
      chargedUnits: 12,
    });
    expect(usage(state, LIMITS, T0 + 1_000)).toMatchObject({
      images_used: 3,
      images_reserved: 0,
      units_used: 12,
      in_flight: 0,
    });
  });

  it("refunds everything on settle(id, 0) and never charges more than was held", () => {
    const state = newGateState(T0);
    hold(state, "failed", 4);
    hold(state, "greedy", 2);
    expect(settle(state, "failed", 0, T0)).toMatchObject({ chargedImages: 0, refundedImages: 4 });
    expect(settle(state, "greedy", 9, T0)).toMatchObject({ chargedImages: 2, refundedImages: 0 });
    expect(usage(state, LIMITS, T0)).toMatchObject({ images_used: 2, images_reserved: 0 });
  });

  it("makes a second settle a no-op that reports the first outcome", () => {
    const state = newGateState(T0);
    hold(state, "a", 4);
    settle(state, "a", 1, T0);
    expect(settle(state, "a", 4, T0 + 5)).toEqual({
      status: "already_settled",
      chargedImages: 1,
      refundedImages: 3,
      chargedUnits: 4,
    });
    expect(usage(state, LIMITS, T0 + 5).images_used).toBe(1);
  });

  it("refuses to re-admit a settled id and does not know ids it never held", () => {
    const state = newGateState(T0);
    hold(state, "a", 1);
    settle(state, "a", 1, T0);
    expect(hold(state, "a", 1, T0 + 5)).toMatchObject({ ok: false, reason: "duplicate_request" });
    expect(settle(state, "never", 1, T0)).toEqual({ status: "unknown" });
    expect(() => settle(state, "a", -1, T0)).toThrow(RangeError);
  });

  it("forgets tombstones after the retention window", () => {
    const state = newGateState(T0);
    hold(state, "a", 1);
    settle(state, "a", 1, T0);
    expect(settle(state, "a", 1, T0 + TOMBSTONE_RETENTION_MS - 1).status).toBe("already_settled");
    expect(settle(state, "a", 1, T0 + TOMBSTONE_RETENTION_MS).status).toBe("unknown");
    // Past retention it is gone for admits too, dropped from memory or not.
    expect(hold(state, "a", 1, T0 + TOMBSTONE_RETENTION_MS).ok).toBe(true);
  });

  it("drops tombstones in batches: one journal call for all of them, once the oldest is a batch late", () => {
    const cutoffs: number[] = [];
    const journal: GateJournal = {
      hold() {},
      close() {},
      forgetClosedBefore: (cutoffMs) => cutoffs.push(cutoffMs),
    };
    const state = newGateState(T0);
    const closedAt = { a: T0, b: T0 + 1_000, c: T0 + TOMBSTONE_PRUNE_BATCH_MS + 5_000 };
    for (const [id, at] of Object.entries(closedAt)) {
      const request = {
        requestId: id,
        images: 1,
        unitsPerImage: 4,
        leaseMs: 600_000,
        limits: LIMITS,
      };
      admit(state, request, T0);
      settle(state, id, 1, at, journal);
    }
    const late = T0 + TOMBSTONE_RETENTION_MS + TOMBSTONE_PRUNE_BATCH_MS;
    settle(state, "none", 0, late - 1, journal);
    expect(cutoffs).toEqual([]);
    expect(state.closed.size).toBe(3);
    settle(state, "none", 0, late + 1_000, journal);
    // "a" and "b" closed at or before the cutoff; "c" closed after it and stays.
    expect(cutoffs).toEqual([late + 1_000 - TOMBSTONE_RETENTION_MS]);
    expect([...state.closed.keys()]).toEqual(["c"]);
  });
});

describe("quota exhaustion", () => {
  it("rejects a hold that does not fit, then admits it once a failure is refunded", () => {
    const state = newGateState(T0);
    expect(hold(state, "a", 4).ok).toBe(true);
    expect(hold(state, "b", 4).ok).toBe(true);
    expect(hold(state, "c", 1)).toMatchObject({
      ok: false,
      reason: "insufficient_quota",
      retryAfterSeconds: 1,
    });
    settle(state, "a", 0, T0 + 10);
    expect(hold(state, "c", 4, T0 + 10).ok).toBe(true);
  });

  it("when delivered images used it up, says to retry when the month ends", () => {
    const state = newGateState(T0);
    hold(state, "a", 4);
    hold(state, "b", 4);
    settle(state, "a", 4, T0);
    settle(state, "b", 4, T0);
    const monthEnd = Date.UTC(2026, 1, 1);
    expect(hold(state, "c", 1)).toMatchObject({
      reason: "insufficient_quota",
      retryAfterSeconds: (monthEnd - T0) / 1000,
    });
  });

  it("charges a late settle after the lease expired and refunded the hold", () => {
    const state = newGateState(T0);
    hold(state, "slow", 4, T0, { leaseMs: 5_000 });
    expect(usage(state, LIMITS, T0 + 5_000).images_reserved).toBe(0);
    expect(settle(state, "slow", 2, T0 + 6_000)).toMatchObject({
      status: "settled",
      chargedImages: 2,
    });
    expect(settle(state, "slow", 2, T0 + 7_000).status).toBe("already_settled");
    expect(usage(state, LIMITS, T0 + 7_000).images_used).toBe(2);
  });
});

describe("month rollover (UTC calendar month)", () => {
  const lastSecond = Date.UTC(2026, 0, 31, 23, 59, 59);
  const nextMonth = Date.UTC(2026, 1, 1);

  it("starts a fresh period at 00:00 UTC on the 1st", () => {
    const state = newGateState(lastSecond);
    hold(state, "a", 8, lastSecond);
    settle(state, "a", 8, lastSecond);
    expect(usage(state, LIMITS, lastSecond)).toMatchObject({
      images_used: 8,
      period_start: "2026-01-01T00:00:00.000Z",
      period_end: "2026-02-01T00:00:00.000Z",
    });
    expect(hold(state, "b", 1, lastSecond).ok).toBe(false);
    expect(usage(state, LIMITS, nextMonth)).toMatchObject({
      images_used: 0,
      units_used: 0,
      period_start: "2026-02-01T00:00:00.000Z",
      period_end: "2026-03-01T00:00:00.000Z",
    });
    expect(hold(state, "b", 8, nextMonth).ok).toBe(true);
  });

  it("charges a hold made last month to the month its images were delivered in", () => {
    const state = newGateState(lastSecond);
    hold(state, "spans", 3, lastSecond);
    expect(usage(state, LIMITS, nextMonth)).toMatchObject({ images_used: 0, images_reserved: 3 });
    settle(state, "spans", 3, nextMonth + 1);
    expect(usage(state, LIMITS, nextMonth + 1).images_used).toBe(3);
  });
});
