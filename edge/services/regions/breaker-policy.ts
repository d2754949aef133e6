// The breaker's thresholds from the optional BREAKER_* vars; anything unset or unusable keeps its default.
import { type BreakerPolicy, DEFAULT_BREAKER_POLICY } from "./breaker";

export interface BreakerVars {
  readonly BREAKER_FAILURES?: string;
  readonly BREAKER_COOLDOWN_MS?: string;
  readonly BREAKER_ERROR_RATE?: string;
  readonly BREAKER_WINDOW_MS?: string;
  readonly BREAKER_MIN_REQUESTS?: string;
}

function numberVar(raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  return Number.isFinite(value) && value >= min && value <= max ? value : fallback;
}

export function breakerPolicy(vars: BreakerVars): BreakerPolicy {
  const d = DEFAULT_BREAKER_POLICY;
  return {
    failures: Math.floor(numberVar(vars.BREAKER_FAILURES, d.failures, 1, 1e9)),
    cooldownMs: numberVar(vars.BREAKER_COOLDOWN_MS, d.cooldownMs, 0, 3_600_000),
    errorRate: numberVar(vars.BREAKER_ERROR_RATE, d.errorRate, 0.01, 1),
    windowMs: numberVar(vars.BREAKER_WINDOW_MS, d.windowMs, 1_000, 3_600_000),
    minRequests: Math.floor(numberVar(vars.BREAKER_MIN_REQUESTS, d.minRequests, 1, 1e9)),
  };
}
