// A job's end, made final: settle its reservation, write its audit record, and say it as one terminal event.
import { statusOf } from "../../../protocol/errors";
import type { NewAuditRow } from "../../db/schema";
import type { AuditLog } from "../audit/audit-log";
import type { TenantGateService } from "../tenant-gate/tenant-gate";
import type { JobEnd } from "./job-run";
import type { JobEvent, JobSpec } from "./job-spec";

/** The audit status of a job canceled by its client (nginx's "client closed request"). */
const CANCELED_STATUS = 499;

/** Images a job delivered: the ones its settlement charges. */
export const deliveredImages = (end: JobEnd) =>
  end.status === "completed" ? end.result.images.length : 0;

/**
 * Charges the delivered images and refunds the rest (a failed or canceled job is a full refund):
 * the units charged, or null when the gate could not be reached. The caller keeps a null
 * settlement and retries it (settling is idempotent by generation id); the job's audit record is
 * written once the charge is known (`auditJobEnd`).
 */
export async function settleJob(spec: JobSpec, end: JobEnd, gate: TenantGateService) {
  try {
    const settled = await gate.settle(spec.tenantId, spec.generationId, deliveredImages(end));
    return settled.status === "unknown" ? 0 : settled.chargedUnits;
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "job settle failed; retried by the job's alarm",
        job_id: spec.jobId,
        message: error instanceof Error ? error.message : String(error),
      }),
    );
    return null;
  }
}

export function auditJobEnd(spec: JobSpec, end: JobEnd, costCharged: number, audit: AuditLog) {
  audit.submit(auditRecord(spec, end, costCharged));
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
