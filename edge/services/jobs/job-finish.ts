// A job's end, made final: settle its reservation, write its audit record, and say it as one terminal event.
import { statusOf } from "../../../protocol/errors";
import type { NewAuditRow } from "../../db/schema";
import type { AuditLog } from "../audit/audit-log";
import { LEASE_MARGIN_MS } from "../generation/image-generation";
import type { Services } from "../services";
import { TOMBSTONE_RETENTION_MS } from "../tenant-gate/gate-state";
import type { TenantGateService } from "../tenant-gate/tenant-gate";
import { failureAsJobError } from "./job-errors";
import type { JobEnd } from "./job-run";
import type { JobEvent, JobSpec } from "./job-spec";
import type { JobRow, JobStore } from "./job-store";

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

/** A settlement the gate did not take is retried after this, doubling up to SETTLE_RETRY_MAX_MS. */
export const SETTLE_RETRY_MS = 5_000;
const SETTLE_RETRY_MAX_MS = 5 * 60_000;

/**
 * A settlement the gate did not take when the job ended, once due: retried (idempotent by
 * generation id) until it goes through, then the job's audit record is written with what it
 * charged. Past the gate's memory of the reservation it is given up, logged, and audited as
 * uncharged.
 */
export async function retryPendingSettlement(
  store: JobStore,
  row: JobRow,
  services: Pick<Services, "gate" | "audit">,
): Promise<void> {
  const pending = store.pendingSettlement();
  if (!pending || pending.nextAtMs > Date.now()) return;
  const end = endOf(row);
  const charged = await settleJob(row.spec, end, services.gate);
  const now = Date.now();
  const { createdAtMs, plan } = row.spec;
  const giveUpAt = createdAtMs + plan.deadlineMs + LEASE_MARGIN_MS + TOMBSTONE_RETENTION_MS;
  if (charged !== null || now >= giveUpAt) {
    store.settlementDone();
    if (charged === null) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "job settlement given up: its images stay uncharged",
          job_id: row.spec.jobId,
          attempts: pending.attempts,
        }),
      );
    }
    auditJobEnd(row.spec, end, charged ?? 0, services.audit);
  } else {
    const backoff = Math.min(SETTLE_RETRY_MS * 2 ** pending.attempts, SETTLE_RETRY_MAX_MS);
    store.settlementRetried(now + backoff);
  }
}

/** The job's end as its row keeps it (for a settlement retried later). */
function endOf(row: JobRow): JobEnd {
  if (row.status === "completed" && row.result) return { status: "completed", result: row.result };
  if (row.status === "canceled") return { status: "canceled" };
  const message = "The job failed.";
  return {
    status: "failed",
    error:
      row.error ??
      failureAsJobError({ kind: "internal", code: "internal_error", message }, row.spec.requestId),
  };
}
