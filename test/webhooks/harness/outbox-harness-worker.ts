// A minimal Worker for the real-receiver test: one Durable Object per tenant driving WebhookOutbox on alarms.
// Typed structurally (no cloudflare:workers import), so the root tsconfig checks it with Node's types.
import { tenantWebhookSecret } from "../../../edge/services/webhooks/tenant-webhook-secret";
import { WebhookOutbox } from "../../../edge/services/webhooks/webhook-outbox";
import type { OutboxSql } from "../../../edge/services/webhooks/webhook-outbox-store";
import type { RetryPolicy } from "../../../edge/services/webhooks/webhook-retry-policy";

interface HarnessState {
  storage: { sql: OutboxSql; setAlarm(scheduledTimeMs: number): Promise<void> };
}

interface Env {
  WEBHOOK_SIGNING_SECRET: string;
  /** JSON Partial<RetryPolicy>: short waits, so a test sees several attempts in a second or two. */
  OUTBOX_POLICY: string;
  OUTBOX: {
    idFromName(name: string): unknown;
    get(id: unknown): { fetch(request: Request): Promise<Response> };
  };
}

type Enqueue = { tenant_id: string; url: string; type: string; data: unknown };

export class WebhookOutboxHarness {
  constructor(
    private readonly state: HarnessState,
    private readonly env: Env,
  ) {
    state.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS harness_tenant (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL)",
    );
  }

  /** As the job Durable Object would: the tenant's secret is derived when needed, never stored. */
  private async outbox(): Promise<WebhookOutbox> {
    const row = this.state.storage.sql
      .exec<{ tenant_id: string }>("SELECT tenant_id FROM harness_tenant WHERE id = 1")
      .toArray()[0];
    const secret = await tenantWebhookSecret(this.env.WEBHOOK_SIGNING_SECRET, row!.tenant_id);
    const policy = JSON.parse(this.env.OUTBOX_POLICY) as Partial<RetryPolicy>;
    return new WebhookOutbox(this.state.storage.sql, { secret, ...policy });
  }

  async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") {
      const body = (await request.json()) as Enqueue;
      this.state.storage.sql.exec(
        "INSERT OR REPLACE INTO harness_tenant (id, tenant_id) VALUES (1, ?)",
        body.tenant_id,
      );
      const outbox = await this.outbox();
      const record = outbox.enqueue(body, Date.now());
      await this.state.storage.setAlarm(outbox.nextDueAtMs()!);
      return Response.json(record);
    }
    return Response.json((await this.outbox()).deliveries());
  }

  async alarm(): Promise<void> {
    const outbox = await this.outbox();
    const next = await outbox.deliverDue(fetch, Date.now());
    if (next !== null) await this.state.storage.setAlarm(next);
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const tenant = new URL(request.url).searchParams.get("tenant") ?? "";
    return env.OUTBOX.get(env.OUTBOX.idFromName(tenant)).fetch(request);
  },
};
