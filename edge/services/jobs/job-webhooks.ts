// A job's webhook: its terminal event, signed and delivered with retries by the webhooks outbox in the job's own storage.
import { tenantWebhookSecret, webhookMasterSecret } from "../webhooks/tenant-webhook-secret";
import type { WebhookSend } from "../webhooks/webhook-attempt";
import { type WebhookDeliveryLog, WebhookOutbox } from "../webhooks/webhook-outbox";
import type { OutboxSql } from "../webhooks/webhook-outbox-store";
import type { JobEvent } from "./job-spec";

export interface JobWebhookEnv {
  WEBHOOK_SIGNING_SECRET?: string;
  ENVIRONMENT: string;
}

/** Null where nothing can be signed (no secret outside development): the route then refuses webhook_url. */
export async function jobWebhookOutbox(
  sql: OutboxSql,
  env: JobWebhookEnv,
  tenantId: string,
): Promise<WebhookOutbox | null> {
  const master = webhookMasterSecret(env);
  if (master === null) return null;
  return new WebhookOutbox(sql, { secret: await tenantWebhookSecret(master, tenantId) });
}

/** The delivery log the tenant reads in GET /v1/images/jobs/{id}; reading needs no secret. */
export function jobWebhookDeliveries(sql: OutboxSql): WebhookDeliveryLog[] {
  return new WebhookOutbox(sql, { secret: "" }).deliveries();
}

/** `job.completed` | `job.failed` | `job.canceled`, with the terminal event's body (URLs, never bytes). */
export function enqueueJobWebhook(
  outbox: WebhookOutbox,
  url: string,
  terminal: JobEvent,
  nowMs: number,
): void {
  outbox.enqueue({ url, type: `job.${terminal.event}`, data: terminal.data }, nowMs);
}

export const webhookSend: WebhookSend = (url, init) => fetch(url, init);
