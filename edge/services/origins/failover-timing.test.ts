// First-byte budgets: from the prediction, within a floor and a cap that leaves the next candidate room.
import { describe, expect, it } from "vitest";
import type { RouteCandidate } from "../regions/region-router";
import { DEFAULT_FAILOVER_TIMING, firstByteBudget } from "./failover-timing";

const candidate = (predictedMs: number | null): RouteCandidate => ({
  region: "x",
  url: "http://x.test",
  predictedMs,
});

describe("firstByteBudget", () => {
  const t = DEFAULT_FAILOVER_TIMING;

  it("gives the last candidate everything (null)", () => {
    expect(firstByteBudget(candidate(100), null, 5_000, t)).toBeNull();
  });

  it("allows twice the prediction plus slack, never below the floor", () => {
    expect(firstByteBudget(candidate(2_000), candidate(100), 60_000, t)).toBe(5_000);
    expect(firstByteBudget(candidate(0), candidate(100), 60_000, t)).toBe(1_000);
  });

  it("caps it to keep what the next candidate plausibly needs", () => {
    // Next needs 2 × 1500 + 1000 = 4000 of the 6000 left.
    expect(firstByteBudget(candidate(5_000), candidate(1_500), 6_000, t)).toBe(2_000);
    // Unknown next: half of what is left is kept for it; an unknown prediction waits up to the cap.
    expect(firstByteBudget(candidate(null), candidate(null), 5_000, t)).toBe(2_500);
  });

  it("treats an attempt as the last when no room for another is left", () => {
    expect(firstByteBudget(candidate(100), candidate(100), 1_500, t)).toBeNull();
  });
});
