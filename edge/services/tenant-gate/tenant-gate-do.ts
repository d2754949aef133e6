// The TenantGate Durable Object, one per tenant: each decision runs synchronously in one event, written to SQLite.
import { DurableObject } from "cloudflare:workers";
import { admit, type GateState, usage } from "./gate-state";
import { settle } from "./settlement";
import { SqlGateStore } from "./sql-gate-store";
import type {
  AdmitRequest,
  AdmitResult,
  CarriedOutcome,
  CarriedSettlement,
  Carrying,
  SettleResult,
  TenantLimits,
  TenantUsage,
} from "./tenant-gate";

/**
 * Exactness comes from the shape of every method: read, decide and write with no `await` in between.
 * A Durable Object delivers one event at a time and SQLite calls are synchronous, so no other call
 * can interleave, and the output gate holds each reply until its writes are durable. Leases expire
 * lazily on the next call (nothing waits on an expired slot but a caller), so no alarm is needed.
 * Requires a SQLite-backed class: `new_sqlite_classes = ["TenantGate"]` in the wrangler migration.
 */
export class TenantGate extends DurableObject<unknown> {
  private readonly store: SqlGateStore;
  private state: GateState;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    // Synchronous SQL, so the constructor needs no blockConcurrencyWhile to load before the first call.
    this.store = new SqlGateStore(ctx.storage.sql);
    this.state = this.store.load(Date.now());
  }

  /**
   * `carried`: settlements the calling isolate has not seen acknowledged, applied first; what each
   * did comes back in the answer's `carried`.
   */
  admit(request: AdmitRequest, carried: readonly CarriedSettlement[] = []): Carrying<AdmitResult> {
    return this.apply((nowMs) => {
      const outcomes = this.settleCarried(carried, nowMs);
      return { ...admit(this.state, request, nowMs, this.store), carried: outcomes };
    });
  }

  settle(requestId: string, deliveredImages: number): SettleResult {
    return this.apply((nowMs) => settle(this.state, requestId, deliveredImages, nowMs, this.store));
  }

  usage(limits: TenantLimits, carried: readonly CarriedSettlement[] = []): Carrying<TenantUsage> {
    return this.apply((nowMs) => {
      const outcomes = this.settleCarried(carried, nowMs);
      return { ...usage(this.state, limits, nowMs, this.store), carried: outcomes };
    });
  }

  private settleCarried(carried: readonly CarriedSettlement[], nowMs: number): CarriedOutcome[] {
    return carried.map(({ requestId, deliveredImages }) => ({
      requestId,
      result: settle(this.state, requestId, deliveredImages, nowMs, this.store),
    }));
  }

  /** One transaction per call: on any throw SQLite rolls back and memory is reloaded to match it. */
  private apply<T>(decide: (nowMs: number) => T): T {
    try {
      return this.ctx.storage.transactionSync(() => {
        const result = decide(Date.now());
        this.store.saveMeta(this.state);
        return result;
      });
    } catch (error) {
      this.state = this.store.load(Date.now());
      throw error;
    }
  }
}
