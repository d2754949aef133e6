// The cheap half of a generation that must answer before any stream or job exists: safety, then admission.
import { runSafety, type SafetyResult } from "../../safety";
import type { AuditNotes } from "../audit/audit-draft";
import type { GenerationPlan } from "../generation/generation-plan";
import { type GenerationOutcome, LEASE_MARGIN_MS } from "../generation/image-generation";
import type { SafetyTermsSource } from "../safety-terms/tenant-safety-terms";
import {
  admitOrRelease,
  type RateLimitInfo,
  type TenantGateService,
  type TenantLimits,
} from "../tenant-gate/tenant-gate";

export interface AdmissionDeps {
  readonly gate: TenantGateService;
  readonly safetyTerms: SafetyTermsSource;
  readonly note: (fields: Partial<AuditNotes>) => void;
  readonly now?: () => number;
}

export interface AdmissionTarget {
  /** The gate's reservation id and the origin's request id. */
  readonly generationId: string;
  readonly tenantId: string;
  readonly limits: TenantLimits;
}

/** The refusals share GenerationOutcome's shape, so the sync route's error mapping applies as is. */
export type AdmissionResult =
  | {
      readonly ok: true;
      readonly safety: {
        readonly decision: string;
        readonly category: string | null;
        readonly policyVersion: string;
      };
      readonly rateLimit: RateLimitInfo;
    }
  | Extract<GenerationOutcome<never>, { ok: false; reason: "content_policy" | "admission" }>;

/**
 * Judges the prompt (a rejection costs nothing), then takes a concurrency slot and holds `n` images
 * of quota for the plan's deadline plus a margin. The caller owns the reservation from here: it
 * must settle it (charge what it delivers, refund the rest) on every path.
 */
export async function admitGeneration(
  deps: AdmissionDeps,
  plan: GenerationPlan,
  target: AdmissionTarget,
): Promise<AdmissionResult> {
  const now = deps.now ?? Date.now;
  const start = now();
  const additions = await deps.safetyTerms.additionsFor(target.tenantId);
  const safety: SafetyResult = runSafety(plan.prompt, additions);
  const timings: Record<string, number> = { safety_ms: now() - start };
  deps.note({
    safetyDecision: safety.decision,
    safetyCategory: safety.category,
    policyVersion: safety.policyVersion,
    timings,
  });
  if (safety.decision === "reject") return { ok: false, reason: "content_policy", safety };
  const admitStart = now();
  const admitted = await admitOrRelease(deps.gate, target.tenantId, {
    requestId: target.generationId,
    images: plan.n,
    unitsPerImage: plan.unitsPerImage,
    leaseMs: plan.deadlineMs + LEASE_MARGIN_MS,
    limits: target.limits,
  });
  deps.note({ timings: { admit_ms: now() - admitStart } });
  if (!admitted.ok) {
    const { reason, retryAfterSeconds, rateLimit } = admitted;
    return { ok: false, reason: "admission", rejection: reason, retryAfterSeconds, rateLimit };
  }
  return {
    ok: true,
    safety: {
      decision: safety.decision,
      category: safety.category,
      policyVersion: safety.policyVersion,
    },
    rateLimit: admitted.rateLimit,
  };
}
