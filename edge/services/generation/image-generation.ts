// Runs one planned generation in the order that keeps it cheap and fair: safety, admit, origin, deliver, settle.
import type { GenerateResponse } from "../../../protocol/generate";
import { runSafety, type SafetyResult } from "../../safety";
import type { AuditNotes } from "../audit/audit-draft";
import type { DispatchFailure, OriginDispatcher } from "../origins/origin-dispatch";
import type { RegionRouter } from "../regions/region-router";
import type { SafetyTermsSource } from "../safety-terms/tenant-safety-terms";
import {
  type AdmitRejection,
  admitOrRelease,
  mayDeferSettlement,
  type RateLimitInfo,
  SETTLE_DEFER_MS,
  type TenantGateService,
  type TenantLimits,
} from "../tenant-gate/tenant-gate";
import type { GenerationPlan } from "./generation-plan";
import { originRequestFor, routeQueryFor } from "./origin-request";

/** The slot and the quota hold outlive the deadline by this much before the gate reclaims them. */
export const LEASE_MARGIN_MS = 30_000;

export interface GenerationDeps {
  readonly gate: TenantGateService;
  readonly origins: OriginDispatcher;
  /** Which origins may serve this request, best first (health, load, location, residency). */
  readonly regions: RegionRouter;
  readonly safetyTerms: SafetyTermsSource;
  /** Where each stage records what it learned for the request's audit record. */
  readonly note: (fields: Partial<AuditNotes>) => void;
  /**
   * Takes work that must finish but need not delay the answer (the request's `waitUntil`, plus
   * the audit record waiting for it). Given, the settlement goes there instead of being awaited:
   * the gate still sees it before this isolate's next admit for the tenant, which carries it
   * (durable-tenant-gate.ts).
   */
  readonly afterResponse?: (work: Promise<unknown>) => void;
  readonly now?: () => number;
}

export interface GenerationTarget {
  /** Minted by the edge per attempt (never a client header): the gate's and the origin's request id. */
  readonly generationId: string;
  readonly tenantId: string;
  readonly limits: TenantLimits;
  readonly storePrompt: boolean;
  readonly traceparent: string;
  /** Where the request came from and where it may run: input to region selection. */
  readonly route: {
    readonly residency: string | null;
    readonly colo: string | null;
    readonly continent: string | null;
  };
}

export type GenerationOutcome<T> =
  | {
      readonly ok: true;
      readonly delivered: T;
      readonly region: string;
      readonly response: GenerateResponse;
      readonly rateLimit: RateLimitInfo;
      readonly timings: Record<string, number>;
    }
  | { readonly ok: false; readonly reason: "content_policy"; readonly safety: SafetyResult }
  | {
      readonly ok: false;
      readonly reason: "admission";
      readonly rejection: AdmitRejection;
      readonly retryAfterSeconds: number;
      readonly rateLimit: RateLimitInfo;
    }
  | {
      readonly ok: false;
      readonly reason: "origin";
      readonly failure: DispatchFailure;
      readonly rateLimit: RateLimitInfo;
    };

export class ImageGeneration {
  private readonly now: () => number;

  constructor(private readonly deps: GenerationDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** `deliver` turns the origin's images into what the client gets; only what it returns is charged. */
  async run<T>(
    plan: GenerationPlan,
    target: GenerationTarget,
    deliver: (response: GenerateResponse) => Promise<T>,
  ): Promise<GenerationOutcome<T>> {
    const timings: Record<string, number> = {};
    const start = this.now();
    const additions = await this.deps.safetyTerms.additionsFor(target.tenantId);
    // Judged before anything costs: no reservation, no origin call for a rejected prompt.
    const safety = runSafety(plan.prompt, additions);
    // Includes loading the tenant's terms (cached per isolate); Workers clocks move only on I/O.
    timings.safety_ms = this.now() - start;
    this.deps.note({
      safetyDecision: safety.decision,
      safetyCategory: safety.category,
      policyVersion: safety.policyVersion,
      timings,
    });
    if (safety.decision === "reject") return { ok: false, reason: "content_policy", safety };
    const admitStart = this.now();
    const admitted = await admitOrRelease(this.deps.gate, target.tenantId, {
      requestId: target.generationId,
      images: plan.n,
      unitsPerImage: plan.unitsPerImage,
      leaseMs: plan.deadlineMs + LEASE_MARGIN_MS,
      limits: target.limits,
    });
    timings.admit_ms = this.now() - admitStart;
    this.deps.note({ timings });
    if (!admitted.ok) {
      const { reason, retryAfterSeconds, rateLimit } = admitted;
      return { ok: false, reason: "admission", rejection: reason, retryAfterSeconds, rateLimit };
    }
    const defer = mayDeferSettlement(admitted.slotsLeft, target.limits.max_concurrency);
    return this.dispatch(plan, target, safety, admitted.rateLimit, timings, deliver, defer);
  }

  private async dispatch<T>(
    plan: GenerationPlan,
    target: GenerationTarget,
    safety: SafetyResult,
    rateLimit: RateLimitInfo,
    timings: Record<string, number>,
    deliver: (response: GenerateResponse) => Promise<T>,
    deferSettlement: boolean,
  ): Promise<GenerationOutcome<T>> {
    let deliveredImages = 0;
    try {
      const originStart = this.now();
      const request = originRequestFor(plan, {
        generationId: target.generationId,
        tenantId: target.tenantId,
        storePrompt: target.storePrompt,
        safety,
      });
      const candidates = await this.deps.regions.candidates(routeQueryFor(plan, target.route));
      const result = await this.deps.origins.generate(
        candidates,
        request,
        plan.deadlineMs - (this.now() - originStart),
        target.traceparent,
      );
      timings.origin_ms = this.now() - originStart;
      if (!result.ok) {
        const region = "region" in result.failure ? result.failure.region : null;
        this.deps.note({ timings, ...(region ? { region } : {}) });
        return { ok: false, reason: "origin", failure: result.failure, rateLimit };
      }
      const deliverStart = this.now();
      const delivered = await deliver(result.response);
      deliveredImages = Math.min(result.response.images.length, plan.n);
      const { total_ms: originTotal, ...stages } = result.response.metadata.timings;
      Object.assign(timings, stages, { origin_total_ms: originTotal });
      timings.deliver_ms = this.now() - deliverStart;
      this.deps.note({ region: result.region, timings });
      return {
        ok: true,
        delivered,
        region: result.region,
        response: result.response,
        rateLimit,
        timings,
      };
    } finally {
      const settling = this.settle(target, deliveredImages, deferSettlement);
      if (this.deps.afterResponse) this.deps.afterResponse(settling);
      else await settling;
    }
  }

  /** Charges what was delivered and refunds the rest. A failed settle is logged, not surfaced: the
   *  images are already the client's; this isolate's next call to the gate carries the settlement
   *  again, and the gate's lease expiry refunds the hold if none does. */
  private async settle(
    target: GenerationTarget,
    deliveredImages: number,
    deferSettlement: boolean,
  ): Promise<void> {
    try {
      // After the answer, the settlement may ride on this isolate's next call to the gate.
      const settled = await this.deps.gate.settle(
        target.tenantId,
        target.generationId,
        deliveredImages,
        this.deps.afterResponse && deferSettlement ? { deferMs: SETTLE_DEFER_MS } : {},
      );
      if (settled.status !== "unknown") this.deps.note({ costCharged: settled.chargedUnits });
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "settle failed; a later gate call carries it, else the lease refunds it",
          generation_id: target.generationId,
          message: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }
}
