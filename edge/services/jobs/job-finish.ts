// A job's end, made final: settle its reservation, write its audit record, and say it as one terminal event.
import { statusOf } from "../../../protocol/errors";
import type { NewAuditRow } from "../../db/schema";
import type { AuditLog } from "../audit/audit-log";
import type { TenantGateService } from "../tenant-gate/tenant-gate";
import type { JobEnd } from "./job-run";
import type { JobEvent, JobSpec } from "./job-spec";

/** The audit status of a job canceled by its client (nginx's "client closed request"). */
const CANCELED_STATUS = 499;

export interface SettleDeps {
  readonly gate: TenantGateService;
  readonly audit: AuditLog;
}

/**
 * Charges the delivered images and refunds the rest (a failed or canceled job is a full refund).
 * A failed settle is logged, not surfaced: the gate's lease expiry refunds the hold by itself.
 */
export async function settleJob(spec: JobSpec, end: JobEnd, deps: SettleDeps): Promise<number> {
  const delivered = end.status === "completed" ? end.result.images.length : 0;
  let chargedUnits = 0;
  try {
    const settled = await deps.gate.settle(spec.tenantId, spec.generationId, delivered);
    if (settled.status !== "unknown") chargedUnits = settled.chargedUnits;
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "job settle failed; the reservation lease will refund it",
        job_id: spec.jobId,
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  deps.audit.submit(auditRecord(spec, end, chargedUnits));
  return chargedUnits;
}

/** One record per job outcome, beside the 202 of the request that created it (same request id). */
function auditRecord(spec: JobSpec, end: JobEnd, costCharged: number): NewAuditRow {
  const finishedAt = Date.now();
  const status =
    end.status === "completed"
      ? 200
      : end.status === "canceled"
        ? CANCELED_STATUS
        : statusOf(end.error.code);
  return {
    requestId: spec.requestId,
    tenantId: spec.tenantId,
    keyId: spec.keyId,
    route: `JOB /v1/images/jobs/${spec.jobId}`,
    tier: spec.plan.tier,
    params: { ...spec.audit.params, job_id: spec.jobId },
    promptSha256: spec.audit.promptSha256,
    safetyDecision: spec.safety.decision,
    safetyCategory: spec.safety.category,
    policyVersion: spec.safety.policyVersion,
    region: end.status === "completed" ? end.result.region : null,
    status,
    errorCode:
      end.status === "failed" ? end.error.code : end.status === "canceled" ? "canceled" : null,
    timings: {
      ...(end.status === "completed" ? end.result.timings : {}),
      total_ms: finishedAt - spec.createdAtMs,
    },
    costCharged,
    createdAt: new Date(spec.createdAtMs),
  };
}

export function terminalEvent(spec: JobSpec, end: JobEnd): JobEvent {
  const job_id = spec.jobId;
  switch (end.status) {
    case "completed":
      return { event: "completed", data: { job_id, status: "completed", ...end.result } };
    case "failed":
      return { event: "failed", data: { job_id, status: "failed", error: end.error } };
    case "canceled":
      return { event: "canceled", data: { job_id, status: "canceled" } };
  }
}
