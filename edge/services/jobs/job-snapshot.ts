// What the GenerationJob tells the routes about its job: the stored row as one plain, serialisable value.
import type { WebhookDeliveryLog } from "../webhooks/webhook-outbox";
import type { JobSnapshot } from "./job-spec";
import type { JobRow } from "./job-store";

export function snapshotOf(
  row: JobRow,
  lastEventId: number,
  deliveries: WebhookDeliveryLog[],
): JobSnapshot {
  const { spec } = row;
  return {
    id: spec.jobId,
    status: row.status,
    plan: spec.plan,
    createdAtMs: spec.createdAtMs,
    startedAtMs: row.startedAtMs,
    finishedAtMs: row.finishedAtMs,
    expiresAtMs: row.expiresAtMs,
    region: row.region,
    progress: row.step !== null && row.steps !== null ? { step: row.step, steps: row.steps } : null,
    result: row.result,
    error: row.error,
    lastEventId,
    webhook: spec.webhookUrl ? { url: spec.webhookUrl, deliveries } : null,
  };
}
