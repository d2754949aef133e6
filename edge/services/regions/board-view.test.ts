// An isolate's view of the board: its own verdicts count at once; probes age out; real traffic outranks a stale "not ready".
import { describe, expect, it } from "vitest";
import type { OriginHealth } from "./board-store";
import {
  type Board,
  batchVerdict,
  healthView,
  noteVerdict,
  PROBE_MAX_AGE_MS,
  SUCCESS_FLUSH_MS,
} from "./board-view";
import { type BreakerEntry, closedBreaker, DEFAULT_BREAKER_POLICY } from "./breaker";

const POLICY = { ...DEFAULT_BREAKER_POLICY, failures: 2 };

function board(
  region: string,
  fields: Partial<OriginHealth>,
  breaker?: Partial<BreakerEntry>,
): Board {
  const health: OriginHealth = {
    region,
    ready: null,
    load: null,
    lastProbeAt: null,
    breaker: { ...closedBreaker(0), ...breaker },
    ...fields,
  };
  return new Map([[region, health]]);
}

describe("healthView", () => {
  it("counts this isolate's failures at once, ahead of the board", () => {
    const shared = board("v-local", {});
    noteVerdict(shared, "v-local", "failure", POLICY, 100, 100);
    expect(healthView(shared, "v-local", POLICY, 100).breaker).toBe("closed");
    noteVerdict(shared, "v-local", "failure", POLICY, 200, 200);
    expect(healthView(shared, "v-local", POLICY, 200).breaker).toBe("open");
    // A later verdict on the board (another isolate's trial success) wins over the local one.
    const later = board("v-local", {}, { updatedAt: 300 });
    expect(healthView(later, "v-local", POLICY, 300).breaker).toBe("closed");
  });

  it("forgets a probe older than the maximum age", () => {
    const probed = board("v-age", { ready: false, lastProbeAt: 1_000 });
    expect(healthView(probed, "v-age", POLICY, 1_000).ready).toBe(false);
    expect(healthView(probed, "v-age", POLICY, 1_001 + PROBE_MAX_AGE_MS).ready).toBeNull();
  });

  it("lets a success after a 'not ready' probe outrank it", () => {
    const served = board(
      "v-served",
      { ready: false, lastProbeAt: 1_000 },
      { updatedAt: 2_000, windowTotal: 1, successStartedAt: 1_500 },
    );
    expect(healthView(served, "v-served", POLICY, 2_000).ready).toBeNull();
    const notSince = board(
      "v-served",
      { ready: false, lastProbeAt: 3_000 },
      { updatedAt: 2_000, windowTotal: 1, successStartedAt: 1_500 },
    );
    expect(healthView(notSince, "v-served", POLICY, 3_000).ready).toBe(false);
  });

  it("keeps a draining origin out when only work started before the probe succeeds there", () => {
    const draining = board("v-draining", { ready: false, lastProbeAt: 1_000 });
    // Its in-flight work finishes after the probe: it still reads as not ready.
    noteVerdict(draining, "v-draining", "success", POLICY, 2_000, 400);
    expect(healthView(draining, "v-draining", POLICY, 2_000).ready).toBe(false);
    // A request that started after the probe and succeeded proves it serves again.
    noteVerdict(draining, "v-draining", "success", POLICY, 2_500, 1_200);
    expect(healthView(draining, "v-draining", POLICY, 2_500).ready).toBeNull();
  });
});

describe("batchVerdict", () => {
  /** Batches as the picker does: decide, then note the verdict locally. */
  function report(shared: Board, region: string, verdict: "success" | "failure", now: number) {
    const batch = batchVerdict(shared, region, verdict, POLICY, now);
    noteVerdict(shared, region, verdict, POLICY, now, now);
    return batch;
  }

  it("holds routine successes and sends them as one count with the next flush", () => {
    const shared = board("b-routine", {});
    expect(report(shared, "b-routine", "success", 10_000)).toEqual({
      priorSuccesses: 0,
      verdict: "success",
    });
    expect(report(shared, "b-routine", "success", 10_100)).toBeNull();
    expect(report(shared, "b-routine", "success", 10_200)).toBeNull();
    expect(report(shared, "b-routine", "success", 10_000 + SUCCESS_FLUSH_MS)).toEqual({
      priorSuccesses: 2,
      verdict: "success",
    });
  });

  it("sends a failure at once, after the successes held before it", () => {
    const shared = board("b-failure", {});
    report(shared, "b-failure", "success", 20_000);
    report(shared, "b-failure", "success", 20_100);
    expect(report(shared, "b-failure", "failure", 20_200)).toEqual({
      priorSuccesses: 1,
      verdict: "failure",
    });
  });

  it("sends the success that follows a failure at once: it resets the run of failures", () => {
    const shared = board("b-recover", {});
    report(shared, "b-recover", "success", 30_000);
    report(shared, "b-recover", "failure", 30_100);
    expect(report(shared, "b-recover", "success", 30_200)).toEqual({
      priorSuccesses: 0,
      verdict: "success",
    });
  });

  it("sends a half-open trial's success at once", () => {
    const halfOpen = board(
      "b-trial",
      {},
      { state: "open", openedAt: 0, consecutiveFailures: 2, updatedAt: 0 },
    );
    const after = POLICY.cooldownMs + 1;
    expect(healthView(halfOpen, "b-trial", POLICY, after).breaker).toBe("half_open");
    expect(report(halfOpen, "b-trial", "success", after)).toEqual({
      priorSuccesses: 0,
      verdict: "success",
    });
  });
});
