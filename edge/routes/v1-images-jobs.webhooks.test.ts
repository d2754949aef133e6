// A job's webhook: its terminal event, signed, retried after a failing attempt, and logged on the job.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  tenantWebhookSecret,
  webhookMasterSecret,
} from "../services/webhooks/tenant-webhook-secret";
import { verifyWebhook } from "../services/webhooks/webhook-signature";
import { installStreamingOrigin } from "../test/fake-origin-stream";
import { tenantWithKey } from "../test/generation";
import { adminCall } from "../test/harness";
import { createJob, getJob, readEvents } from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

interface Received {
  headers: Headers;
  body: string;
}

describe("webhook_url on a job", () => {
  it("delivers the terminal event signed, retries a failed attempt, and shows every attempt", async () => {
    const received: Received[] = [];
    installStreamingOrigin(
      {},
      {
        other: async (request) => {
          expect(new URL(request.url).host).toBe("hooks.example.com");
          received.push({ headers: request.headers, body: await request.text() });
          // The receiver is down for its first attempt.
          return new Response(null, { status: received.length === 1 ? 503 : 204 });
        },
      },
    );
    const { key, tenantId } = await tenantWithKey();
    const webhook_url = "https://hooks.example.com/darkroom";
    const { status, body } = await createJob(key, { prompt: "a fox", steps: 8, webhook_url });
    expect(status).toBe(202);
    expect(body.webhook).toEqual({ url: webhook_url, deliveries: [] });
    await readEvents(key, body.id);

    await vi.waitFor(
      async () => {
        const job = await getJob(key, body.id);
        expect(job.body.webhook?.deliveries[0]?.status).toBe("delivered");
      },
      { timeout: 15_000, interval: 200 },
    );
    const job = await getJob(key, body.id);
    const [delivery] = job.body.webhook?.deliveries ?? [];
    expect(delivery).toMatchObject({ type: "job.completed", url: webhook_url });
    expect(
      ((delivery?.attempts ?? []) as { outcome: string; status_code: number }[]).map((a) => [
        a.outcome,
        a.status_code,
      ]),
    ).toEqual([
      ["retrying", 503],
      ["delivered", 204],
    ]);

    expect(received).toHaveLength(2);
    const [first, second] = received as [Received, Received];
    expect(second.body).toBe(first.body);
    expect(second.headers.get("webhook-id")).toBe(first.headers.get("webhook-id"));
    const payload = JSON.parse(second.body);
    expect(payload).toMatchObject({
      type: "job.completed",
      data: { job_id: body.id, status: "completed" },
    });
    expect(payload.data.images[0].url).toBe(job.body.data?.[0]?.url);
    const master = webhookMasterSecret(env) ?? "";
    const secret = await tenantWebhookSecret(master, tenantId);
    expect(await verifyWebhook(secret, second.headers, second.body)).toMatchObject({ ok: true });
    const stranger = await tenantWebhookSecret(master, "ten_other");
    expect(await verifyWebhook(stranger, second.headers, second.body)).toMatchObject({ ok: false });
  });

  it("signs with the rotated secret, and the previous one too while they overlap", {
    timeout: 20_000,
  }, async () => {
    const received: Received[] = [];
    installStreamingOrigin(
      {},
      {
        other: async (request) => {
          received.push({ headers: request.headers, body: await request.text() });
          return new Response(null, { status: 204 });
        },
      },
    );
    const { key, tenantId } = await tenantWithKey();
    const rotated = await adminCall(`/admin/tenants/${tenantId}/webhook-secret/rotate`, {
      method: "POST",
    });
    expect(rotated.status).toBe(200);
    const webhook_url = "https://hooks.example.com/darkroom";
    const { status, body } = await createJob(key, { prompt: "a fox", steps: 8, webhook_url });
    expect(status).toBe(202);
    await readEvents(key, body.id);
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 15_000, interval: 100 });
    const [delivery] = received as [Received];
    expect(delivery.headers.get("webhook-signature")?.split(" ")).toHaveLength(2);
    const master = webhookMasterSecret(env) ?? "";
    for (const version of [1, 0]) {
      const secret = await tenantWebhookSecret(master, tenantId, version);
      expect(
        await verifyWebhook(secret, delivery.headers, delivery.body),
        `v${version}`,
      ).toMatchObject({ ok: true });
    }
  });
});
