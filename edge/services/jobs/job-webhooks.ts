// A job's webhook: its terminal event, signed and delivered with retries by the webhooks outbox in the job's own storage.
import { openDatabase } from "../../db/client";
import { D1TenantStore } from "../tenants/tenant-store";
import { webhookMasterSecret, webhookSigningSecrets } from "../webhooks/tenant-webhook-secret";
import type { WebhookSend } from "../webhooks/webhook-attempt";
import { type WebhookDeliveryLog, WebhookOutbox } from "../webhooks/webhook-outbox";
import type { OutboxSql } from "../webhooks/webhook-outbox-store";
import type { JobEvent } from "./job-spec";

export interface JobWebhookEnv {
  WEBHOOK_SIGNING_SECRET?: string;
  ENVIRONMENT: string;
  DB: D1Database;
}

/**
 * The outbox that delivers: signing with the tenant's current secret (and its previous one while a
 * rotation overlaps), read from D1 at delivery, so a rotation applies to deliveries already queued.
 * Null where nothing can be signed (no secret outside development): the route then refuses
 * webhook_url.
 */
export async function jobWebhookOutbox(
  sql: OutboxSql,
  env: JobWebhookEnv,
  tenantId: string,
  nowMs: number = Date.now(),
): Promise<WebhookOutbox | null> {
  const master = webhookMasterSecret(env);
  if (master === null) return null;
  const tenant = await new D1TenantStore(openDatabase(env.DB)).get(tenantId);
  // A tenant deleted since has only its original derivation left to sign with.
  const state = tenant ?? { id: tenantId, webhookSecretVersion: 0, webhookSecretRotatedAt: null };
  return new WebhookOutbox(sql, { secret: await webhookSigningSecrets(master, state, nowMs) });
}

/** The same outbox for queueing and scheduling, which sign nothing (no D1 read); null as above. */
export function jobWebhookQueue(sql: OutboxSql, env: JobWebhookEnv): WebhookOutbox | null {
  return webhookMasterSecret(env) === null ? null : new WebhookOutbox(sql, { secret: [] });
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
