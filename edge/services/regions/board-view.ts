// This isolate's view of the RegionBoard: a briefly cached snapshot, overlaid with the verdicts it saw itself.

import type { OriginHealth } from "./board-store";
import {
  type BreakerEntry,
  type BreakerPolicy,
  breakerState,
  closedBreaker,
  recordVerdict,
  trialOut,
} from "./breaker";
import { IsolateCache } from "./isolate-cache";
import type { AttemptVerdict } from "./region-router";
import type { HealthView } from "./select-candidates";

/** Snapshot freshness; older ones are served while one refresh runs (see IsolateCache). */
export const BOARD_FRESH_MS = 1_000;
const BOARD_MAX_STALE_MS = 30_000;
/** The cron probes every minute; a probe older than three rounds says nothing about now. */
export const PROBE_MAX_AGE_MS = 180_000;

export type Board = ReadonlyMap<string, OriginHealth>;

const snapshots = new IsolateCache<Board>(BOARD_FRESH_MS, BOARD_MAX_STALE_MS);
/** Breaker entries after verdicts this isolate saw, ahead of the board (which gets them via waitUntil). */
const local = new Map<string, BreakerEntry>();
/** Trials this isolate asked for (granted or refused): not asked again until this time. */
const trialHolds = new Map<string, number>();

/** Routine successes reach the board at most this often per region and isolate, as one count. */
export const SUCCESS_FLUSH_MS = 1_000;
/** Successes held back per region, and when this isolate last sent that region's verdicts. */
const heldSuccesses = new Map<string, { count: number; sentAt: number }>();

/** What to send the board for one verdict: the successes held before it, then the verdict itself. */
export interface VerdictBatch {
  readonly priorSuccesses: number;
  readonly verdict: AttemptVerdict;
}

/**
 * Every request reports a verdict, and one board serves every isolate, so routine news travels in
 * bulk: a success on a healthy breaker (closed, no failure in a row) is held and sent with the next
 * flush, at most once per SUCCESS_FLUSH_MS. Anything that can change a breaker (a failure, a
 * success after failures, a half-open trial's outcome) goes at once, after the successes held
 * before it, so the board sees them in order. Returns null for a success held back.
 * Call it before `noteVerdict`, which moves this isolate's view past the verdict.
 */
export function batchVerdict(
  board: Board,
  region: string,
  verdict: AttemptVerdict,
  policy: BreakerPolicy,
  now: number,
): VerdictBatch | null {
  const held = heldSuccesses.get(region) ?? { count: 0, sentAt: 0 };
  const breaker = breakerOf(board, region, now);
  const routine =
    verdict === "success" &&
    breakerState(breaker, policy, now) === "closed" &&
    breaker.consecutiveFailures === 0;
  if (routine && now - held.sentAt < SUCCESS_FLUSH_MS) {
    heldSuccesses.set(region, { count: held.count + 1, sentAt: held.sentAt });
    return null;
  }
  heldSuccesses.set(region, { count: 0, sentAt: now });
  return { priorSuccesses: held.count, verdict };
}

export async function boardView(
  load: () => Promise<Board>,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<Board> {
  try {
    return await snapshots.get(load, waitUntil);
  } catch (error) {
    // Routing without the board is routing blind, not failing: every origin reads as unknown health.
    console.error(
      JSON.stringify({
        level: "error",
        msg: "region board unreachable; routing on registry order",
        message: error instanceof Error ? error.message : String(error),
      }),
    );
    return snapshots.peek() ?? new Map();
  }
}

/** The breaker as this isolate should judge it: the later of the board's entry and its own. */
export function breakerOf(board: Board, region: string, now: number): BreakerEntry {
  const shared = board.get(region)?.breaker;
  const mine = local.get(region);
  if (!shared) return mine ?? closedBreaker(now);
  return mine && mine.updatedAt > shared.updatedAt ? mine : shared;
}

export function healthView(
  board: Board,
  region: string,
  policy: BreakerPolicy,
  now: number,
): HealthView {
  const entry = board.get(region);
  const breaker = breakerOf(board, region, now);
  const probedAt = entry?.lastProbeAt ?? null;
  const probed = probedAt !== null && now - probedAt <= PROBE_MAX_AGE_MS;
  // Real traffic outranks an older "not ready" probe (perhaps taken while it restarted): a success
  // of an attempt that started since then (and the last verdict, on a closed breaker) proves it
  // serves. One that started before proves nothing: a draining origin still finishes its work.
  const servedSince =
    entry?.ready === false &&
    probedAt !== null &&
    breaker.successStartedAt !== null &&
    breaker.successStartedAt > probedAt &&
    breaker.state === "closed" &&
    breaker.consecutiveFailures === 0;
  const trusted = probed && !servedSince;
  return {
    ready: trusted ? (entry?.ready ?? null) : null,
    load: trusted ? (entry?.load ?? null) : null,
    breaker: breakerState(breaker, policy, now),
    trialOut: trialOut(breaker, now) || (trialHolds.get(region) ?? 0) > now,
  };
}

/** Counts a verdict here at once, so this isolate's next request already avoids a region that just
 *  tripped its breaker, without waiting for the board's next snapshot. `startedAt`: when its attempt
 *  began (see recordVerdict). */
export function noteVerdict(
  board: Board,
  region: string,
  verdict: AttemptVerdict,
  policy: BreakerPolicy,
  now: number,
  startedAt: number,
): void {
  const breaker = recordVerdict(breakerOf(board, region, now), verdict, policy, now, startedAt);
  local.set(region, breaker);
  trialHolds.delete(region);
}

export function holdTrial(region: string, until: number): void {
  trialHolds.set(region, until);
}

/** The cached snapshot without loading (null when this isolate has none). */
export const cachedBoard = (): Board | null => snapshots.peek();

/** Forgets what this isolate saw of a region (it left the registry; a new one by that name starts clean). */
export function forgetRegion(region: string): void {
  local.delete(region);
  heldSuccesses.delete(region);
  trialHolds.delete(region);
  snapshots.purge();
}

/** Drops the cached snapshot (after an admin probe): the next request reads the board afresh. */
export const purgeBoardSnapshot = () => snapshots.purge();
