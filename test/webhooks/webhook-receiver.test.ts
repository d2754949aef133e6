// Webhooks end to end in the real Workers runtime: a Durable Object's outbox, alarms, and a real HTTP receiver.
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantWebhookSecret } from "../../edge/services/webhooks/tenant-webhook-secret";
import type { WebhookDeliveryLog } from "../../edge/services/webhooks/webhook-outbox";
import { startOutboxHarness } from "./harness/start-outbox-harness";
import { type LocalReceiver, startLocalReceiver } from "./local-receiver";

const MASTER = "receiver-test-master-secret";
const TENANT = "ten_receiver_test";
const RECEIVER_PORT = 19550;

let mf: Miniflare | undefined;
let receiver: LocalReceiver | undefined;

beforeAll(async () => {
  // The receiver knows only what a tenant would: its secret, derived here in Node independently.
  const secret = await tenantWebhookSecret(MASTER, TENANT);
  receiver = await startLocalReceiver({
    port: RECEIVER_PORT,
    secret,
    scripts: { "/flaky": [503, 503, 200], "/gone": [410] },
  });
  mf = await startOutboxHarness({
    masterSecret: MASTER,
    policy: { baseDelayMs: 100, maxDelayMs: 1_000, timeoutMs: 5_000, maxAttempts: 5 },
  });
});

afterAll(async () => {
  await mf?.dispose();
  await receiver?.close();
});

async function enqueue(path: string): Promise<WebhookDeliveryLog> {
  const response = await mf!.dispatchFetch(`http://harness.test/?tenant=${TENANT}${path}`, {
    method: "POST",
    body: JSON.stringify({
      tenant_id: TENANT,
      url: `${receiver!.url}${path}`,
      type: "job.completed",
      data: { id: "job_receiver", status: "completed" },
    }),
  });
  return (await response.json()) as WebhookDeliveryLog;
}

/** Polls the Durable Object's delivery log until `id` leaves pending (alarms do the sending). */
async function settled(path: string, id: string): Promise<WebhookDeliveryLog> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await mf!.dispatchFetch(`http://harness.test/?tenant=${TENANT}${path}`);
    const log = ((await response.json()) as WebhookDeliveryLog[]).find((d) => d.id === id);
    if (log && log.status !== "pending") return log;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`delivery ${id} still pending after 30 s`);
}

describe("webhook delivery to a real receiver", () => {
  it("retries through two failures, then delivers; every attempt carries a valid signature", async () => {
    const record = await enqueue("/flaky");
    const log = await settled("/flaky", record.id);
    const hits = receiver!.received.filter((r) => r.path === "/flaky");
    expect(hits.map((h) => h.answered)).toEqual([503, 503, 200]);
    for (const hit of hits) {
      expect(hit.verification).toMatchObject({ ok: true, id: record.id });
      expect(hit.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(hit.body)).toMatchObject({
        type: "job.completed",
        data: { id: "job_receiver", status: "completed" },
      });
    }
    expect(log.status).toBe("delivered");
    expect(log.attempts.map((a) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 503, "retrying"],
      [2, 503, "retrying"],
      [3, 200, "delivered"],
    ]);
    // The waits themselves are pinned by the unit tests (fake clock); here only their order.
    const times = log.attempts.map((a) => Date.parse(a.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(3);
  });

  it("stops after one attempt when the receiver answers 410", async () => {
    const record = await enqueue("/gone");
    const log = await settled("/gone", record.id);
    expect(log).toMatchObject({ status: "failed", next_attempt_at: null });
    expect(log.attempts).toMatchObject([{ attempt: 1, status_code: 410, outcome: "failed" }]);
    expect(receiver!.received.filter((r) => r.path === "/gone")).toHaveLength(1);
  });
});
