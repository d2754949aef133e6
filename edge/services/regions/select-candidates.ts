// Which origins may serve a request and in what order: a pure function of registry, health and location.
import type { LoadReport } from "../../../protocol/load";
import { DEFAULT_MODEL_ALIAS } from "../models/model-catalog";
import type { BreakerState } from "./breaker";
import type { RoutableOrigin } from "./origin-registry";
import type { RouteCandidate, RouteQuery } from "./region-router";
import { estimateRtt, type RttTable } from "./rtt-table";

/** What selection needs to know of an origin's health (null: never probed, or the probe is stale). */
export interface HealthView {
  readonly ready: boolean | null;
  readonly load: LoadReport | null;
  readonly breaker: BreakerState;
  /** Half-open with its one trial already out: nobody else may try it. */
  readonly trialOut: boolean;
}

export const UNKNOWN_HEALTH: HealthView = {
  ready: null,
  load: null,
  breaker: "closed",
  trialOut: false,
};

export interface RankedCandidate {
  readonly candidate: RouteCandidate;
  /** Half-open: usable only once the board grants this request the one trial. */
  readonly needsTrial: boolean;
}

/** Estimates closer than this are noise (probe jitter): weight and registry order decide between them. */
export const ESTIMATE_BUCKET_MS = 25;

/** A tenant pinned to "eu" may use region "eu" and regions named "eu-…" (eu-west, eu-central). */
export const withinResidency = (region: string, residency: string | null) =>
  residency === null || region === residency || region.startsWith(`${residency}-`);

export function selectCandidates(
  query: RouteQuery,
  origins: readonly RoutableOrigin[],
  health: (region: string) => HealthView,
  rtt: RttTable,
): RankedCandidate[] {
  const usable = origins
    .map((origin, index) => ({ origin, index, view: health(origin.region) }))
    .filter(({ origin, view }) => admits(query, origin, view));
  const work = usable.map(({ view }) => workMs(view.load, query));
  const known = work.filter((ms): ms is number => ms !== null);
  // Unknown load is assumed average, so it neither wins nor loses against probed origins by default.
  const neutral = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : 0;
  const ranked = usable.map(({ origin, index, view }, i) => {
    const rttMs = estimateRtt(query, origin, rtt);
    const ms = work[i] ?? null;
    const estimate = rttMs + (ms ?? neutral);
    return {
      index,
      weight: origin.weight,
      bucket: Math.round(estimate / ESTIMATE_BUCKET_MS),
      ranked: {
        candidate: {
          region: origin.region,
          url: origin.url,
          predictedMs: ms === null ? null : Math.round(rttMs + ms),
        },
        needsTrial: view.breaker === "half_open",
      },
    };
  });
  ranked.sort((a, b) => a.bucket - b.bucket || b.weight - a.weight || a.index - b.index);
  return ranked.map((r) => r.ranked);
}

function admits(query: RouteQuery, origin: RoutableOrigin, view: HealthView): boolean {
  if (origin.state !== "active") return false;
  if (!withinResidency(origin.region, query.residency)) return false;
  if (!offersModel(origin.models, query.model)) return false;
  if (view.load && !offersModel(view.load.models, query.model)) return false;
  if (view.breaker === "open") return false;
  // Half-open: the trial, not a probe (perhaps taken while it was down), decides re-admission.
  if (view.breaker === "half_open") return !view.trialOut;
  if (view.ready === false) return false;
  return !(view.load && (!view.load.ready || view.load.draining));
}

/** An empty list offers every model; "default" lets any origin pick its own. */
const offersModel = (models: readonly string[], model: string) =>
  model === DEFAULT_MODEL_ALIAS || models.length === 0 || models.includes(model);

/**
 * The origin's prediction for this request: the tier's queue wait, then its steps and decode. A step
 * takes what the origin's recent steps took (`step_ms`) or what this request's own rows cost from
 * the origin's measured per-megapixel costs, whichever is more: a guided 1024² request of four is
 * 32 rows of a 256² one, and the first-byte timeout grows from this (failover-timing.ts). Origins
 * that report no costs are judged by `step_ms` alone.
 */
export function workMs(load: LoadReport | null, query: RouteQuery): number | null {
  const tier = load?.tiers[query.tier];
  if (!tier) return null;
  const costs = load?.costs;
  const mpx = (query.width * query.height) / 1_000_000;
  const rows = query.n * (query.guidanceScale > 1 ? 2 : 1);
  const ownStepMs = costs ? rows * mpx * costs.row_step_ms_per_mpx : 0;
  const decodeMs = costs ? query.n * mpx * costs.decode_ms_per_mpx : 0;
  return tier.predicted_wait_ms + Math.max(tier.step_ms, ownStepMs) * query.steps + decodeMs;
}
