// GCRA over integer microseconds: a per-minute limit with burst = limit, exact under any arrival order.

const MINUTE_US = 60_000_000;
const SECOND_US = 1_000_000;

export interface GcraView {
  readonly remaining: number;
  readonly resetSeconds: number;
}

export interface GcraDecision extends GcraView {
  readonly allowed: boolean;
  /** The theoretical arrival time to store: advanced when allowed, unchanged otherwise. */
  readonly tatUs: number;
  readonly retryAfterSeconds: number;
}

/**
 * Emission interval T = ceil(60 s / limit) in whole microseconds, tolerance = limit × T, so a full
 * bucket admits exactly `limit` at one instant and then one per T. Integers keep k × T exact; the
 * ceil makes the long-run rate at most `limit` per minute, never above it.
 */
function interval(limit: number): number {
  return Math.ceil(MINUTE_US / limit);
}

export function gcraPeek(tatUs: number, nowUs: number, limit: number): GcraView {
  if (limit <= 0) return { remaining: 0, resetSeconds: 60 };
  const t = interval(limit);
  const backlog = Math.max(tatUs, nowUs) - nowUs;
  return {
    remaining: Math.floor((limit * t - backlog) / t),
    resetSeconds: Math.ceil(backlog / SECOND_US),
  };
}

export function gcraTake(tatUs: number, nowUs: number, limit: number): GcraDecision {
  if (limit <= 0) {
    return { allowed: false, tatUs, remaining: 0, resetSeconds: 60, retryAfterSeconds: 60 };
  }
  const t = interval(limit);
  const tolerance = limit * t;
  const next = Math.max(tatUs, nowUs) + t;
  if (next - nowUs > tolerance) {
    const view = gcraPeek(tatUs, nowUs, limit);
    const waitUs = next - tolerance - nowUs;
    return { allowed: false, tatUs, ...view, retryAfterSeconds: Math.ceil(waitUs / SECOND_US) };
  }
  return { allowed: true, tatUs: next, ...gcraPeek(next, nowUs, limit), retryAfterSeconds: 0 };
}

/**
 * Re-expresses a backlog measured under one limit in another, so a PATCHed limit keeps the attempts
 * already counted (5 used of 10 stays 5 used of 5) instead of keeping the seconds they stood for.
 */
export function gcraRescale(tatUs: number, nowUs: number, fromLimit: number, toLimit: number) {
  if (fromLimit <= 0 || toLimit <= 0 || fromLimit === toLimit || tatUs <= nowUs) return tatUs;
  return nowUs + Math.ceil(((tatUs - nowUs) * interval(toLimit)) / interval(fromLimit));
}
