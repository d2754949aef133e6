// The per-origin circuit breaker as pure functions: closed → open → half-open (one trial) → closed or open again.
import type { AttemptVerdict } from "./region-router";

export interface BreakerPolicy {
  /** Consecutive failures that open a closed breaker. */
  readonly failures: number;
  /** How long an open breaker refuses everything before it lets one trial through. */
  readonly cooldownMs: number;
  /** A failure share at or above this, over `windowMs` with at least `minRequests` attempts, opens it too. */
  readonly errorRate: number;
  readonly windowMs: number;
  readonly minRequests: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failures: 3,
  cooldownMs: 5_000,
  errorRate: 0.5,
  windowMs: 30_000,
  minRequests: 20,
};

export type BreakerState = "closed" | "open" | "half_open";

/** What is stored. "half_open" is never stored: it is an open breaker whose cool-down has passed. */
export interface BreakerEntry {
  readonly state: "closed" | "open";
  readonly consecutiveFailures: number;
  readonly openedAt: number | null;
  /** While set and in the future, the one half-open trial is out: nobody else may try. */
  readonly trialUntil: number | null;
  /** A tumbling window of attempts, for the error-rate rule. */
  readonly windowStart: number;
  readonly windowTotal: number;
  readonly windowFailures: number;
  /** When the last verdict was applied: between two views of one origin, the later one wins. */
  readonly updatedAt: number;
  /** When the latest-started successful attempt began (null: none known): proof it served since then. */
  readonly successStartedAt: number | null;
}

export const closedBreaker = (now: number): BreakerEntry => ({
  state: "closed",
  consecutiveFailures: 0,
  openedAt: null,
  trialUntil: null,
  windowStart: now,
  windowTotal: 0,
  windowFailures: 0,
  updatedAt: now,
  successStartedAt: null,
});

export function breakerState(
  entry: BreakerEntry,
  policy: BreakerPolicy,
  now: number,
): BreakerState {
  if (entry.state === "closed") return "closed";
  return now - (entry.openedAt ?? now) >= policy.cooldownMs ? "half_open" : "open";
}

/** Applies one attempt's verdict. Half-open: the trial's success closes with a fresh window (the
 *  failures that opened it would otherwise re-open it on the next single failure), its failure
 *  re-opens (a fresh cool-down). A verdict arriving while plainly open, or from an attempt that
 *  started before the breaker opened (`startedAt` before `openedAt`; null: start unknown), is not a
 *  trial's outcome: counted, no state change, so a late answer (a sync request runs up to a minute)
 *  neither closes it without a trial, nor re-opens it over the trial's head, nor stretches its
 *  cool-down. */
export function recordVerdict(
  entry: BreakerEntry,
  verdict: AttemptVerdict,
  policy: BreakerPolicy,
  now: number,
  startedAt: number | null = now,
): BreakerEntry {
  const fresh = now - entry.windowStart >= policy.windowMs;
  const failed = verdict === "failure" ? 1 : 0;
  const counted: BreakerEntry = {
    ...entry,
    windowStart: fresh ? now : entry.windowStart,
    windowTotal: (fresh ? 0 : entry.windowTotal) + 1,
    windowFailures: (fresh ? 0 : entry.windowFailures) + failed,
    consecutiveFailures: failed ? entry.consecutiveFailures + 1 : 0,
    updatedAt: now,
    successStartedAt: failed ? entry.successStartedAt : latest(entry.successStartedAt, startedAt),
  };
  const state = breakerState(entry, policy, now);
  const late = startedAt === null || startedAt < (entry.openedAt ?? startedAt);
  if (state === "open" || (state === "half_open" && late)) return counted;
  if (state === "half_open") {
    return failed
      ? { ...counted, openedAt: now, trialUntil: null }
      : { ...closedBreaker(now), windowTotal: 1, successStartedAt: counted.successStartedAt };
  }
  return failed && tripped(counted, policy)
    ? { ...counted, state: "open", openedAt: now, trialUntil: null }
    : counted;
}

const latest = (a: number | null, b: number | null) =>
  a === null ? b : b === null ? a : Math.max(a, b);

function tripped(entry: BreakerEntry, policy: BreakerPolicy): boolean {
  if (entry.consecutiveFailures >= policy.failures) return true;
  return (
    entry.windowTotal >= policy.minRequests &&
    entry.windowFailures / entry.windowTotal >= policy.errorRate
  );
}

/** Grants the one half-open trial (for `leaseMs`, after which an unreported trial is given up). A
 *  closed breaker needs no trial and always grants; an open one, or a trial already out, never does. */
export function grantTrial(
  entry: BreakerEntry,
  policy: BreakerPolicy,
  now: number,
  leaseMs: number,
): { readonly granted: boolean; readonly entry: BreakerEntry } {
  const state = breakerState(entry, policy, now);
  if (state === "closed") return { granted: true, entry };
  if (state === "open" || (entry.trialUntil !== null && entry.trialUntil > now)) {
    return { granted: false, entry };
  }
  return { granted: true, entry: { ...entry, trialUntil: now + leaseMs } };
}

/** True while someone holds the half-open trial. */
export const trialOut = (entry: BreakerEntry, now: number) =>
  entry.trialUntil !== null && entry.trialUntil > now;
