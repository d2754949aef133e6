// Calls to the one RegionBoard Durable Object, through one stub per request (stubs never cross requests).

import type { OriginHealth } from "./board-store";
import type { BreakerPolicy } from "./breaker";
import {
  BOARD_NAME,
  type BoardSnapshot,
  type ProbeResult,
  type RegionBoard,
} from "./region-board-do";
import type { AttemptVerdict } from "./region-router";

export class RegionBoardClient {
  private stub: DurableObjectStub<RegionBoard> | null = null;

  constructor(private readonly namespace: DurableObjectNamespace<RegionBoard>) {}

  async snapshot(): Promise<BoardSnapshot> {
    const snapshot = await this.board().snapshot();
    return { at: snapshot.at, origins: snapshot.origins as OriginHealth[] };
  }

  /** `priorSuccesses`: routine successes this isolate held back, applied before `verdict`;
   *  `startedAt`: when the verdict's attempt began. */
  async record(
    region: string,
    verdict: AttemptVerdict,
    policy: BreakerPolicy,
    priorSuccesses = 0,
    startedAt?: number,
  ): Promise<void> {
    await this.board().record(region, verdict, policy, priorSuccesses, startedAt);
  }

  async acquireTrial(region: string, policy: BreakerPolicy, leaseMs: number): Promise<boolean> {
    return this.board().acquireTrial(region, policy, leaseMs);
  }

  async publishProbes(results: readonly ProbeResult[]): Promise<void> {
    await this.board().publishProbes(results);
  }

  async forget(region: string): Promise<void> {
    await this.board().forget(region);
  }

  private board(): DurableObjectStub<RegionBoard> {
    this.stub ??= this.namespace.get(this.namespace.idFromName(BOARD_NAME));
    return this.stub;
  }
}
