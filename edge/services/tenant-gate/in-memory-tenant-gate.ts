// TenantGateService in process memory, with an injectable clock: for tests and benchmarks, not production.
import { admit, type GateState, newGateState, usage } from "./gate-state";
import { settle } from "./settlement";
import type {
  AdmitRequest,
  AdmitResult,
  SettleResult,
  TenantGateService,
  TenantLimits,
  TenantUsage,
} from "./tenant-gate";

export class InMemoryTenantGate implements TenantGateService {
  private readonly tenants = new Map<string, GateState>();

  constructor(private readonly now: () => number = Date.now) {}

  async admit(tenantId: string, request: AdmitRequest): Promise<AdmitResult> {
    return admit(this.stateOf(tenantId), request, this.now());
  }

  /** Settles at once: with no calls to carry it, deferring would only delay it. */
  async settle(
    tenantId: string,
    requestId: string,
    deliveredImages: number,
  ): Promise<SettleResult> {
    return settle(this.stateOf(tenantId), requestId, deliveredImages, this.now());
  }

  async usage(tenantId: string, limits: TenantLimits): Promise<TenantUsage> {
    return usage(this.stateOf(tenantId), limits, this.now());
  }

  private stateOf(tenantId: string): GateState {
    let state = this.tenants.get(tenantId);
    if (!state) {
      state = newGateState(this.now());
      this.tenants.set(tenantId, state);
    }
    return state;
  }
}
