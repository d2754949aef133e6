// The seam between "where may this run" (regions) and the callers that send work to origins (sync and jobs).
import type { Tier } from "../../../protocol/tiers";
import type { OriginTarget } from "../origins/origin-config";

/** What routing needs to know about one request. */
export interface RouteQuery {
  readonly tier: Tier;
  readonly model: string;
  readonly steps: number;
  readonly width: number;
  readonly height: number;
  readonly n: number;
  /** Above 1, each image is two UNet rows (classifier-free guidance): twice the work per step. */
  readonly guidanceScale: number;
  /** The tenant's data-residency pin (a region name), or null: never route outside it. */
  readonly residency: string | null;
  /** From `request.cf`; null when unknown (local, tests). */
  readonly colo: string | null;
  readonly continent: string | null;
  /** The request's whole deadline: bounds how long a granted half-open trial stays reserved. */
  readonly deadlineMs?: number;
}

/** One origin worth trying, with what the router expects of it. */
export interface RouteCandidate extends OriginTarget {
  /** Predicted time-to-image in ms (RTT + reported wait + this request's work there); null if unknown. */
  readonly predictedMs: number | null;
  /**
   * Set on a half-open region: its one trial, asked of the board only when a dispatcher reaches
   * this candidate (a trial taken for a region the request never tried would keep it out of
   * rotation until the trial's lease ran out). False: someone else has it; skip the candidate.
   */
  readonly claimTrial?: () => Promise<boolean>;
}

/** Whether a dispatcher may try `candidate` now: always, unless it is a half-open trial not granted. */
export const mayTry = async (candidate: RouteCandidate): Promise<boolean> =>
  candidate.claimTrial ? candidate.claimTrial() : true;

/** What one attempt at an origin taught us (passive health, feeds the region's circuit breaker). */
export type AttemptVerdict =
  /** The origin answered and did the work (or refused for the request's own reasons: a 4xx). */
  | "success"
  /** Connection error, timeout before the first byte, or a 5xx. */
  | "failure";

export interface RegionRouter {
  /** Origins to try for this request, best first; empty means none can serve it (503 no_capacity). */
  candidates(query: RouteQuery): Promise<readonly RouteCandidate[]>;
  /** Records one attempt's verdict; `startedAt`: when that attempt began (a verdict from before its
   *  region's breaker opened is no half-open trial's outcome). Never throws and never delays the
   *  caller (uses waitUntil). */
  record(region: string, verdict: AttemptVerdict, startedAt: number): void;
}
