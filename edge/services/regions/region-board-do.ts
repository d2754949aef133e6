// RegionBoard Durable Object (one, idFromName("global")): origin health, load and circuit breakers for every isolate.
import { DurableObject } from "cloudflare:workers";
import type { LoadReport } from "../../../protocol/load";
import { BoardStore, type OriginHealth, unknownHealth } from "./board-store";
import { type BreakerPolicy, breakerState, grantTrial, recordVerdict } from "./breaker";
import type { AttemptVerdict } from "./region-router";

export const BOARD_NAME = "global";

/** One origin's active probe: /readyz answered 200, and its load report when that could be read. */
export interface ProbeResult {
  readonly region: string;
  readonly ready: boolean;
  readonly load: LoadReport | null;
  readonly at: number;
}

export interface BoardSnapshot {
  /** The board's clock when it answered. */
  readonly at: number;
  readonly origins: readonly OriginHealth[];
}

/**
 * Decisions are synchronous (read, decide, write with no await in between), as in TenantGate, so
 * "exactly one half-open trial" holds across every isolate. Each caller passes the breaker policy it
 * was configured with (the BREAKER_* vars): deployed isolates share one configuration, and tests can
 * pin thresholds per call. Probes never touch a breaker: an origin that answers /readyz after a
 * restart is re-admitted only by a successful half-open trial of real traffic.
 * Requires a SQLite-backed class: `new_sqlite_classes = ["RegionBoard"]` in the wrangler migration.
 */
/** More held successes than this in one report add nothing (the window counts are long past the threshold). */
const MAX_HELD_SUCCESSES = 10_000;

export class RegionBoard extends DurableObject<unknown> {
  private readonly store: BoardStore;
  private readonly health: Map<string, OriginHealth>;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.store = new BoardStore(ctx.storage.sql);
    this.health = this.store.load();
  }

  snapshot(): BoardSnapshot {
    return { at: Date.now(), origins: [...this.health.values()] };
  }

  /** One verdict, after `priorSuccesses` successes an isolate held back (see board-view batchVerdict).
   *  `startedAt`: when its attempt began (see recordVerdict); absent from an older isolate: now. */
  record(
    region: string,
    verdict: AttemptVerdict,
    policy: BreakerPolicy,
    priorSuccesses = 0,
    startedAt?: number,
  ): void {
    const now = Date.now();
    const current = this.entry(region, now);
    let breaker = current.breaker;
    // Held successes predate this call, started when is not known: news for the error-rate window
    // of a closed breaker only, never a half-open trial's outcome nor proof of serving since a probe.
    const held = Math.min(priorSuccesses, MAX_HELD_SUCCESSES);
    for (let i = 0; i < held && breakerState(breaker, policy, now) === "closed"; i++) {
      breaker = recordVerdict(breaker, "success", policy, now, null);
    }
    const applied = recordVerdict(breaker, verdict, policy, now, startedAt ?? now);
    this.put({ ...current, breaker: applied });
  }

  /** True when the caller may send its request there: closed, or the one half-open trial is theirs. */
  acquireTrial(region: string, policy: BreakerPolicy, leaseMs: number): boolean {
    const now = Date.now();
    const current = this.entry(region, now);
    const trial = grantTrial(current.breaker, policy, now, leaseMs);
    if (trial.entry !== current.breaker) this.put({ ...current, breaker: trial.entry });
    return trial.granted;
  }

  publishProbes(results: readonly ProbeResult[]): void {
    const now = Date.now();
    for (const probe of results) {
      const current = this.entry(probe.region, now);
      this.put({ ...current, ready: probe.ready, load: probe.load, lastProbeAt: probe.at });
    }
  }

  /** Drops a region the registry no longer has. */
  forget(region: string): void {
    this.health.delete(region);
    this.store.forget(region);
  }

  private entry(region: string, now: number): OriginHealth {
    return this.health.get(region) ?? unknownHealth(region, now);
  }

  private put(health: OriginHealth): void {
    this.store.save(health);
    this.health.set(health.region, health);
  }
}
