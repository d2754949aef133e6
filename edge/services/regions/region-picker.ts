// The RegionRouter in service: registry origins that are usable now, ordered by predicted time-to-image.

import {
  type Board,
  batchVerdict,
  boardView,
  cachedBoard,
  healthView,
  holdTrial,
  noteVerdict,
} from "./board-view";
import type { BreakerPolicy } from "./breaker";
import type { OriginRegistry } from "./origin-registry";
import type { RegionBoardClient } from "./region-board-client";
import type { AttemptVerdict, RegionRouter, RouteCandidate, RouteQuery } from "./region-router";
import type { RttTable } from "./rtt-table";
import { selectCandidates } from "./select-candidates";

/** A half-open trial not reported within the request's deadline plus this is given up. */
const TRIAL_LEASE_MARGIN_MS = 2_000;
const DEFAULT_TRIAL_DEADLINE_MS = 60_000;

export interface RegionPickerDeps {
  readonly registry: OriginRegistry;
  readonly board: RegionBoardClient;
  readonly policy: BreakerPolicy;
  readonly rtt: RttTable;
  readonly waitUntil: (promise: Promise<unknown>) => void;
  readonly now?: () => number;
}

export class RegionPicker implements RegionRouter {
  private readonly now: () => number;

  constructor(private readonly deps: RegionPickerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async candidates(query: RouteQuery): Promise<readonly RouteCandidate[]> {
    const [origins, board] = await Promise.all([
      this.deps.registry.routable(),
      boardView(() => this.loadBoard(), this.deps.waitUntil),
    ]);
    const now = this.now();
    const ranked = selectCandidates(
      query,
      origins,
      (region) => healthView(board, region, this.deps.policy, now),
      this.deps.rtt,
    );
    return ranked.map(({ candidate, needsTrial }) =>
      needsTrial
        ? { ...candidate, claimTrial: () => this.trial(candidate.region, query) }
        : candidate,
    );
  }

  record(region: string, verdict: AttemptVerdict, startedAt: number): void {
    const board = cachedBoard() ?? new Map();
    const now = this.now();
    const batch = batchVerdict(board, region, verdict, this.deps.policy, now);
    noteVerdict(board, region, verdict, this.deps.policy, now, startedAt);
    if (!batch) return;
    const sent = this.deps.board.record(
      region,
      batch.verdict,
      this.deps.policy,
      batch.priorSuccesses,
      startedAt,
    );
    this.deps.waitUntil(
      sent.catch((error: unknown) => {
        console.error(
          JSON.stringify({
            level: "error",
            msg: "verdict not recorded on the region board",
            region,
            verdict,
            message: error instanceof Error ? error.message : String(error),
          }),
        );
      }),
    );
  }

  /** Asks the board for the one half-open trial; an unreachable board grants none. */
  private async trial(region: string, query: RouteQuery): Promise<boolean> {
    const leaseMs = (query.deadlineMs ?? DEFAULT_TRIAL_DEADLINE_MS) + TRIAL_LEASE_MARGIN_MS;
    let granted = false;
    try {
      granted = await this.deps.board.acquireTrial(region, this.deps.policy, leaseMs);
    } catch {
      granted = false;
    }
    // Granted: ours until reported. Refused: someone else's, or the board saw it re-open; either way
    // this isolate does not ask again before its snapshot could have changed.
    holdTrial(region, this.now() + (granted ? leaseMs : 1_000));
    return granted;
  }

  private async loadBoard(): Promise<Board> {
    const snapshot = await this.deps.board.snapshot();
    return new Map(snapshot.origins.map((o) => [o.region, o]));
  }
}
