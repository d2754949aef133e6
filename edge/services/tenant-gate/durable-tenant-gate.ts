// TenantGateService over the TenantGate Durable Object: one object per tenant, addressed by tenant id.

import type {
  AdmitRequest,
  AdmitResult,
  SettleResult,
  TenantGateService,
  TenantLimits,
  TenantUsage,
} from "./tenant-gate";
import type { TenantGate } from "./tenant-gate-do";

export class DurableTenantGate implements TenantGateService {
  /** This request's stubs by tenant: admit and settle reuse one (stubs never cross requests). */
  private readonly stubs = new Map<string, DurableObjectStub<TenantGate>>();

  constructor(private readonly namespace: DurableObjectNamespace<TenantGate>) {}

  admit(tenantId: string, request: AdmitRequest): Promise<AdmitResult> {
    return this.call<AdmitResult>(tenantId, (gate) => gate.admit(request));
  }

  settle(tenantId: string, requestId: string, deliveredImages: number): Promise<SettleResult> {
    return this.call<SettleResult>(tenantId, (gate) => gate.settle(requestId, deliveredImages));
  }

  usage(tenantId: string, limits: TenantLimits): Promise<TenantUsage> {
    return this.call<TenantUsage>(tenantId, (gate) => gate.usage(limits));
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

function isRetryable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const flags = error as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true && flags.overloaded !== true;
}
