// How long one attempt may wait for its first byte before the request moves on to the next candidate.
import type { RouteCandidate } from "../regions/region-router";

export interface FailoverTiming {
  /** An attempt waits at least this long (connection setup, a cold queue, scheduling noise). */
  readonly floorMs: number;
  /** Predicted time-to-image × factor + slack: how long a healthy origin could plausibly take. */
  readonly factor: number;
  readonly slackMs: number;
  /** Always kept back for the next candidate, whatever its prediction. */
  readonly reserveMs: number;
}

/** A healthy origin lands well within 2× its own prediction plus a second; a hung one never does. */
export const DEFAULT_FAILOVER_TIMING: FailoverTiming = {
  floorMs: 1_000,
  factor: 2,
  slackMs: 1_000,
  reserveMs: 1_000,
};

const plausibleMs = (c: RouteCandidate, t: FailoverTiming) =>
  c.predictedMs === null ? null : c.predictedMs * t.factor + t.slackMs;

/**
 * The first-byte budget of an attempt at `target` with `remaining` ms of the request left, or null
 * when it must be treated as the last attempt (no next candidate, or no room for one): then it gets
 * all that is left. The cap keeps back what the next candidate plausibly needs (half of what is left
 * when its prediction is unknown); an unknown prediction here waits up to that cap.
 */
export function firstByteBudget(
  target: RouteCandidate,
  next: RouteCandidate | null,
  remaining: number,
  timing: FailoverTiming,
): number | null {
  if (next === null) return null;
  const reserve = Math.max(timing.reserveMs, plausibleMs(next, timing) ?? remaining / 2);
  const cap = remaining - reserve;
  if (cap < timing.floorMs) return null;
  const wanted = plausibleMs(target, timing) ?? cap;
  return Math.min(cap, Math.max(timing.floorMs, wanted));
}
