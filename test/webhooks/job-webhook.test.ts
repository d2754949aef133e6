// A job's webhook on the local stack: wrangler dev edge, real origins, and a real receiver that fails first.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookDeliveryLog } from "../../edge/services/webhooks/webhook-outbox";
import { createTenant, issueKey } from "../../scripts/local-stack/admin-client";
import { type LocalStack, startLocalStack } from "../../scripts/local-stack/stack";
import { configFromEnv } from "../../scripts/local-stack/stack-config";
import { type LocalReceiver, startLocalReceiver } from "./local-receiver";

const ADMIN_TOKEN = "job-webhook-test-admin-token";
const RECEIVER_PORT = 19552;

let scratch = "";
let stack: LocalStack | undefined;
let receiver: LocalReceiver | undefined;
let apiKey = "";

type JobView = {
  id: string;
  status: string;
  webhook: { url: string; deliveries: WebhookDeliveryLog[] } | null;
};

async function api(path: string, init: RequestInit = {}) {
  const response = await fetch(`${stack!.edgeUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "darkroom-job-webhook-"));
  stack = await startLocalStack({
    ...configFromEnv({}),
    edgePort: 19910,
    origins: [
      { region: "us", port: 19911, portVar: "ORIGIN_US_PORT" },
      { region: "eu", port: 19912, portVar: "ORIGIN_EU_PORT" },
    ],
    adminToken: ADMIN_TOKEN,
    originSecret: randomBytes(24).toString("base64url"),
    persistDir: join(scratch, "state"),
    logDir: join(scratch, "logs"),
  });
  const tenant = await createTenant(stack.edgeUrl, ADMIN_TOKEN, { name: "job-webhook-test" });
  apiKey = (await issueKey(stack.edgeUrl, ADMIN_TOKEN, tenant.id, "job-webhook")).key;
  // The receiver holds only what the tenant can read: its secret, from the public API.
  const secret = await api("/v1/webhooks/secret");
  expect(secret.status).toBe(200);
  receiver = await startLocalReceiver({
    port: RECEIVER_PORT,
    secret: String(secret.body.secret),
    scripts: { "/hook": [503, 503, 200] },
  });
}, 300_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 60_000);

async function jobWhenDelivered(id: string): Promise<JobView> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const job = (await api(`/v1/images/jobs/${id}`)).body as unknown as JobView;
    const delivery = job.webhook?.deliveries[0];
    if (delivery && delivery.status !== "pending") return job;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`job ${id}: webhook still pending after 60 s`);
}

describe("job webhooks on the local stack", () => {
  it("refuses a webhook_url with credentials, naming the field", async () => {
    const res = await api("/v1/images/jobs", {
      method: "POST",
      body: JSON.stringify({
        prompt: "a red fox",
        tier: "fast",
        size: "256x256",
        webhook_url: `http://user:pw@127.0.0.1:${RECEIVER_PORT}/hook`,
      }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", param: "webhook_url" });
  });

  it("delivers the terminal event through two failures, signed, and logs every attempt", async () => {
    const created = await api("/v1/images/jobs", {
      method: "POST",
      body: JSON.stringify({
        prompt: "a lighthouse at dusk",
        tier: "fast",
        size: "256x256",
        webhook_url: `${receiver!.url}/hook`,
      }),
    });
    expect(created.status).toBe(202);
    const id = String(created.body.id);
    const job = await jobWhenDelivered(id);
    expect(job.status).toBe("completed");

    const hits = receiver!.received.filter((r) => r.path === "/hook");
    expect(hits.map((h) => h.answered)).toEqual([503, 503, 200]);
    const delivery = job.webhook!.deliveries[0]!;
    for (const hit of hits) {
      expect(hit.verification).toMatchObject({ ok: true, id: delivery.id });
      expect(JSON.parse(hit.body)).toMatchObject({ type: "job.completed", data: { job_id: id } });
    }
    expect(delivery.status).toBe("delivered");
    expect(delivery.attempts.map((a) => [a.status_code, a.outcome])).toEqual([
      [503, "retrying"],
      [503, "retrying"],
      [200, "delivered"],
    ]);
  });
});
