// TenantGateService over the TenantGate Durable Object: one object per tenant, addressed by tenant id.

import type {
  AdmitRequest,
  AdmitResult,
  CarriedOutcome,
  CarriedSettlement,
  Carrying,
  SettleOptions,
  SettleResult,
  TenantGateService,
  TenantLimits,
  TenantUsage,
} from "./tenant-gate";
import type { TenantGate } from "./tenant-gate-do";

/** Beyond this many unacknowledged settlements for one tenant (the gate unreachable for a while),
 *  the oldest stops being carried; its lease expiry refunds the hold in the meantime. */
export const MAX_CARRIED_SETTLEMENTS = 256;

/**
 * Settlements this isolate has sent and the gate has not acknowledged yet: tenant → request id →
 * images delivered. An answer need not wait for its settlement: every later admit or usage call
 * from this isolate to the same gate carries the unacknowledged ones, and the gate applies them
 * before deciding. So this isolate's next admit can never reach the gate ahead of the settlement
 * that freed its slot (the race that made a settlement merely sent first fail closed-loop clients
 * with 429 concurrency_limit). Plain data: the Workers runtime forbids sharing I/O objects across
 * requests, not values.
 */
const unacknowledged = new Map<string, Map<string, number>>();

/**
 * Deferred settlements waiting to see whether a later call carries them: tenant → request id → what
 * the gate answered for it once a call carried it (null until then). The waiting settle() takes its
 * entry when its deferral ends; entries of settles whose request was cut short fall off the front.
 */
const deferred = new Map<string, Map<string, SettleResult | null>>();

export class DurableTenantGate implements TenantGateService {
  /** This request's stubs by tenant: admit and settle reuse one (stubs never cross requests). */
  private readonly stubs = new Map<string, DurableObjectStub<TenantGate>>();

  constructor(private readonly namespace: DurableObjectNamespace<TenantGate>) {}

  admit(tenantId: string, request: AdmitRequest): Promise<AdmitResult> {
    return this.carrying(tenantId, (carried) =>
      this.call<Carrying<AdmitResult>>(tenantId, (gate) => gate.admit(request, carried)),
    );
  }

  /**
   * Resolves once the gate has it; until then, later calls from this isolate carry it too. With
   * `deferMs`, it first waits that long for such a call, and sends no call of its own if one came.
   */
  async settle(
    tenantId: string,
    requestId: string,
    deliveredImages: number,
    options: SettleOptions = {},
  ): Promise<SettleResult> {
    const pending = unacknowledged.get(tenantId) ?? new Map<string, number>();
    unacknowledged.set(tenantId, pending);
    pending.set(requestId, deliveredImages);
    if (pending.size > MAX_CARRIED_SETTLEMENTS) {
      pending.delete(pending.keys().next().value as string);
    }
    if (options.deferMs) {
      const carried = await carriedWithin(tenantId, requestId, options.deferMs);
      if (carried) return carried;
    }
    const result = await this.call<SettleResult>(tenantId, (gate) =>
      gate.settle(requestId, deliveredImages),
    );
    acknowledge(tenantId, [{ requestId, deliveredImages }]);
    return result;
  }

  usage(tenantId: string, limits: TenantLimits): Promise<TenantUsage> {
    return this.carrying(tenantId, (carried) =>
      this.call<Carrying<TenantUsage>>(tenantId, (gate) => gate.usage(limits, carried)),
    );
  }

  private async carrying<T>(
    tenantId: string,
    send: (carried: CarriedSettlement[]) => Promise<Carrying<T>>,
  ): Promise<T> {
    const pending = unacknowledged.get(tenantId);
    const carried = pending
      ? [...pending].map(([requestId, deliveredImages]) => ({ requestId, deliveredImages }))
      : [];
    const { carried: outcomes = [], ...result } = await send(carried);
    acknowledge(tenantId, carried);
    recordCarried(tenantId, outcomes);
    return result as T;
  }

  /**
   * Every method is idempotent by request id, so one retry on a fresh stub (a broken stub stays
   * broken) is safe when the runtime marks the error retryable; never when the object is overloaded.
   */
  private async call<T>(
    tenantId: string,
    // PromiseLike: RPC wraps each member of a result union in its own Promise type.
    invoke: (gate: DurableObjectStub<TenantGate>) => PromiseLike<T>,
  ): Promise<T> {
    try {
      return await invoke(this.stub(tenantId));
    } catch (error) {
      this.stubs.delete(tenantId);
      if (!isRetryable(error)) throw error;
      return invoke(this.stub(tenantId));
    }
  }

  private stub(tenantId: string): DurableObjectStub<TenantGate> {
    let stub = this.stubs.get(tenantId);
    if (stub === undefined) {
      stub = this.namespace.get(this.namespace.idFromName(tenantId));
      this.stubs.set(tenantId, stub);
    }
    return stub;
  }
}

/** The gate has applied these: stop carrying them (unless a newer settlement replaced one). */
function acknowledge(tenantId: string, settled: readonly CarriedSettlement[]): void {
  const pending = unacknowledged.get(tenantId);
  if (!pending) return;
  for (const { requestId, deliveredImages } of settled) {
    if (pending.get(requestId) === deliveredImages) pending.delete(requestId);
  }
  if (pending.size === 0) unacknowledged.delete(tenantId);
}

/** Waits `ms` for a later call to carry the settlement; what the gate answered, or null if none did. */
async function carriedWithin(
  tenantId: string,
  requestId: string,
  ms: number,
): Promise<SettleResult | null> {
  const waiting = deferred.get(tenantId) ?? new Map<string, SettleResult | null>();
  deferred.set(tenantId, waiting);
  waiting.set(requestId, null);
  if (waiting.size > MAX_CARRIED_SETTLEMENTS) {
    waiting.delete(waiting.keys().next().value as string);
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  const outcome = waiting.get(requestId) ?? null;
  waiting.delete(requestId);
  if (waiting.size === 0) deferred.delete(tenantId);
  return outcome;
}

/** Hands the gate's answers for carried settlements to the deferred settles waiting on them. */
function recordCarried(tenantId: string, outcomes: readonly CarriedOutcome[]): void {
  const waiting = deferred.get(tenantId);
  if (!waiting) return;
  for (const { requestId, result } of outcomes) {
    if (waiting.has(requestId)) waiting.set(requestId, result);
  }
}

/** How many settlements this isolate is carrying for `tenantId` (tests). */
export function carriedSettlements(tenantId: string): number {
  return unacknowledged.get(tenantId)?.size ?? 0;
}

function isRetryable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const flags = error as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true && flags.overloaded !== true;
}
