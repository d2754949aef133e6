// GET /v1/webhooks/secret: a per-tenant whsec_ secret behind the API key, and 503 where none can be derived.
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "../services/webhooks/webhook-signature";
import { tenantWithKey } from "../test/generation";
import { call, callJson } from "../test/harness";

type SecretBody = { object: string; secret: string; scheme: string };

describe("GET /v1/webhooks/secret", () => {
  it("needs an API key", async () => {
    const res = await callJson<{ error: { code: string } }>("/v1/webhooks/secret");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("missing_api_key");
  });

  it("gives each tenant its own stable secret, never cached", async () => {
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    const first = await callJson<SecretBody>("/v1/webhooks/secret", { token: a.key });
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(first.body).toMatchObject({ object: "webhook_secret", scheme: "standard-webhooks-v1" });
    expect(first.body.secret).toMatch(/^whsec_/);
    const again = await callJson<SecretBody>("/v1/webhooks/secret", { token: a.key });
    expect(again.body.secret).toBe(first.body.secret);
    const other = await callJson<SecretBody>("/v1/webhooks/secret", { token: b.key });
    expect(other.body.secret).not.toBe(first.body.secret);

    const message = { id: "msg_x", timestampS: 1_800_000_000, body: '{"type":"job.completed"}' };
    const headers = await signWebhook(first.body.secret, message);
    const now = message.timestampS * 1000;
    expect((await verifyWebhook(first.body.secret, headers, message.body, { now })).ok).toBe(true);
    expect((await verifyWebhook(other.body.secret, headers, message.body, { now })).ok).toBe(false);
  });

  it("derives from WEBHOOK_SIGNING_SECRET: rotating it rotates every tenant's secret", async () => {
    const { key } = await tenantWithKey();
    const before = await callJson<SecretBody>("/v1/webhooks/secret", { token: key });
    const after = await callJson<SecretBody>("/v1/webhooks/secret", {
      token: key,
      bindings: { WEBHOOK_SIGNING_SECRET: "rotated-master" },
    });
    expect(after.status).toBe(200);
    expect(after.body.secret).not.toBe(before.body.secret);
  });

  it("answers 503 not_ready outside development when no master secret is set", async () => {
    const { key } = await tenantWithKey();
    const res = await call("/v1/webhooks/secret", {
      token: key,
      bindings: { WEBHOOK_SIGNING_SECRET: undefined, ENVIRONMENT: "production" },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(res.headers.get("x-should-retry")).toBe("false");
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("not_ready");
    expect(body.error.message).not.toMatch(/at |Error:/);
  });
});
