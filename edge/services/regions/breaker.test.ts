// The circuit breaker's state machine: when it opens, when it lets one trial through, and what closes it.
import { describe, expect, it } from "vitest";
import {
  type BreakerEntry,
  type BreakerPolicy,
  breakerState,
  closedBreaker,
  grantTrial,
  recordVerdict,
} from "./breaker";
import { breakerPolicy } from "./breaker-policy";
import type { AttemptVerdict } from "./region-router";

const POLICY: BreakerPolicy = {
  failures: 3,
  cooldownMs: 5_000,
  errorRate: 0.5,
  windowMs: 30_000,
  minRequests: 10,
};

function replay(verdicts: AttemptVerdict[], at = 1_000, entry = closedBreaker(0)): BreakerEntry {
  return verdicts.reduce((e, v) => recordVerdict(e, v, POLICY, at), entry);
}

describe("breaker", () => {
  it("opens after N consecutive failures, not before", () => {
    const two = replay(["failure", "failure"]);
    expect(breakerState(two, POLICY, 1_000)).toBe("closed");
    const three = recordVerdict(two, "failure", POLICY, 1_000);
    expect(breakerState(three, POLICY, 1_000)).toBe("open");
    expect(three.openedAt).toBe(1_000);
  });

  it("a success in between resets the consecutive count", () => {
    const entry = replay(["failure", "failure", "success", "failure", "failure"]);
    expect(breakerState(entry, POLICY, 1_000)).toBe("closed");
    expect(entry.consecutiveFailures).toBe(2);
  });

  it("opens on the error rate over the window once enough attempts were seen", () => {
    const alternating = Array.from(
      { length: 10 },
      (_, i): AttemptVerdict => (i % 2 === 0 ? "failure" : "success"),
    );
    expect(breakerState(replay(alternating.slice(0, 9)), POLICY, 1_000)).toBe("closed");
    // The tenth attempt reaches minRequests with 6/10 failed (never 3 in a row): over 0.5.
    const tenth = replay([...alternating.slice(0, 9), "failure"]);
    expect(breakerState(tenth, POLICY, 1_000)).toBe("open");
  });

  it("forgets the window's attempts once the window has passed", () => {
    const early = replay(Array.from({ length: 9 }, (_, i) => (i % 2 ? "success" : "failure")));
    const late = recordVerdict(early, "failure", POLICY, 1_000 + POLICY.windowMs);
    expect(late.windowTotal).toBe(1);
    expect(breakerState(late, POLICY, 1_000 + POLICY.windowMs)).toBe("closed");
  });

  it("turns half-open after the cool-down and grants exactly one trial", () => {
    const open = replay(["failure", "failure", "failure"]);
    expect(grantTrial(open, POLICY, 5_999, 10_000).granted).toBe(false);
    expect(breakerState(open, POLICY, 6_000)).toBe("half_open");
    const first = grantTrial(open, POLICY, 6_000, 10_000);
    expect(first.granted).toBe(true);
    const second = grantTrial(first.entry, POLICY, 6_001, 10_000);
    expect(second.granted).toBe(false);
    // An unreported trial is given up when its lease runs out.
    expect(grantTrial(first.entry, POLICY, 16_000, 10_000).granted).toBe(true);
  });

  it("closes when the trial succeeds", () => {
    const open = replay(["failure", "failure", "failure"]);
    const trial = grantTrial(open, POLICY, 6_000, 10_000).entry;
    const closed = recordVerdict(trial, "success", POLICY, 6_100);
    expect(breakerState(closed, POLICY, 6_100)).toBe("closed");
    expect(closed).toMatchObject({ consecutiveFailures: 0, openedAt: null, trialUntil: null });
  });

  it("closes with a fresh error-rate window: one failure after the trial does not re-open it", () => {
    // Ten attempts, eight failed, without three in a row: opened by the error rate.
    const mixed: AttemptVerdict[] = ["failure", "failure", "success"];
    const open = replay([...mixed, ...mixed, "failure", "success", "failure", "failure"]);
    expect(breakerState(open, POLICY, 1_000)).toBe("open");
    const trial = grantTrial(open, POLICY, 6_000, 10_000).entry;
    const closed = recordVerdict(trial, "success", POLICY, 6_100);
    expect(closed).toMatchObject({ windowStart: 6_100, windowTotal: 1, windowFailures: 0 });
    const next = recordVerdict(closed, "failure", POLICY, 6_200);
    expect(breakerState(next, POLICY, 6_200)).toBe("closed");
  });

  it("re-opens for a fresh cool-down when the trial fails", () => {
    const open = replay(["failure", "failure", "failure"]);
    const trial = grantTrial(open, POLICY, 6_000, 10_000).entry;
    const reopened = recordVerdict(trial, "failure", POLICY, 6_100);
    expect(breakerState(reopened, POLICY, 6_100)).toBe("open");
    expect(reopened).toMatchObject({ openedAt: 6_100, trialUntil: null });
    expect(breakerState(reopened, POLICY, 11_099)).toBe("open");
    expect(breakerState(reopened, POLICY, 11_100)).toBe("half_open");
  });

  it("ignores late verdicts while plainly open: no early close, no longer cool-down", () => {
    const open = replay(["failure", "failure", "failure"]);
    const lateSuccess = recordVerdict(open, "success", POLICY, 2_000);
    expect(breakerState(lateSuccess, POLICY, 2_000)).toBe("open");
    const lateFailure = recordVerdict(open, "failure", POLICY, 3_000);
    expect(lateFailure.openedAt).toBe(1_000);
  });

  it("takes no late verdict as the half-open trial's outcome: the trial's own still decides", () => {
    // Opened at 1_000; half-open from 6_000, with the trial out.
    const open = replay(["failure", "failure", "failure"]);
    const trial = grantTrial(open, POLICY, 6_000, 10_000).entry;
    // Answers from attempts started before it opened (a slow sync request) arrive now.
    const lateFailure = recordVerdict(trial, "failure", POLICY, 6_100, 900);
    expect(lateFailure).toMatchObject({ state: "open", openedAt: 1_000, trialUntil: 16_000 });
    expect(lateFailure.windowFailures).toBe(open.windowFailures + 1);
    const lateSuccess = recordVerdict(trial, "success", POLICY, 6_100, 900);
    expect(breakerState(lateSuccess, POLICY, 6_100)).toBe("half_open");
    expect(lateSuccess.trialUntil).toBe(16_000);
    // The trial (started once granted) closes it or re-opens it, late answers notwithstanding.
    const closed = recordVerdict(lateFailure, "success", POLICY, 6_200, 6_000);
    expect(breakerState(closed, POLICY, 6_200)).toBe("closed");
    const reopened = recordVerdict(lateSuccess, "failure", POLICY, 6_200, 6_000);
    expect(reopened).toMatchObject({ state: "open", openedAt: 6_200, trialUntil: null });
  });

  it("keeps when the latest successful attempt started, whatever order the answers come in", () => {
    const newer = recordVerdict(closedBreaker(0), "success", POLICY, 2_000, 1_500);
    const older = recordVerdict(newer, "success", POLICY, 2_100, 500);
    expect(older.successStartedAt).toBe(1_500);
    expect(recordVerdict(older, "failure", POLICY, 2_200, 2_000).successStartedAt).toBe(1_500);
    expect(recordVerdict(older, "success", POLICY, 2_300, null).successStartedAt).toBe(1_500);
  });

  it("always grants a closed breaker", () => {
    expect(grantTrial(closedBreaker(0), POLICY, 1, 1).granted).toBe(true);
  });
});

describe("breakerPolicy", () => {
  it("reads the BREAKER_* vars and keeps defaults for unset or unusable ones", () => {
    expect(breakerPolicy({})).toEqual({
      failures: 3,
      cooldownMs: 5_000,
      errorRate: 0.5,
      windowMs: 30_000,
      minRequests: 20,
    });
    expect(
      breakerPolicy({ BREAKER_FAILURES: "5", BREAKER_COOLDOWN_MS: "250", BREAKER_ERROR_RATE: "2" }),
    ).toMatchObject({ failures: 5, cooldownMs: 250, errorRate: 0.5 });
    expect(breakerPolicy({ BREAKER_FAILURES: "zero" }).failures).toBe(3);
  });
});
