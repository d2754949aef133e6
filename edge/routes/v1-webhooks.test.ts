// GET /v1/webhooks/secret: a per-tenant whsec_ secret behind the API key, and 503 where none can be derived.
import { describe, expect, it } from "vitest";
import {
  ROTATION_OVERLAP_MS,
  tenantWebhookSecret,
  webhookSigningSecrets,
} from "../services/webhooks/tenant-webhook-secret";
import { signWebhook, verifyWebhook } from "../services/webhooks/webhook-signature";
import { tenantWithKey } from "../test/generation";
import { adminCall, call, callJson } from "../test/harness";

type SecretBody = {
  object: string;
  secret: string;
  version: number;
  previous_valid_until: string | null;
  scheme: string;
};

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

  it("rotates one tenant's secret on the admin's word; the previous one keeps signing a day", async () => {
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    const before = await callJson<SecretBody>("/v1/webhooks/secret", { token: a.key });
    expect(before.body).toMatchObject({ version: 0, previous_valid_until: null });
    const other = await callJson<SecretBody>("/v1/webhooks/secret", { token: b.key });

    const rotated = await adminCall<{ version: number; previous_valid_until: string }>(
      `/admin/tenants/${a.tenantId}/webhook-secret/rotate`,
      { method: "POST" },
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ object: "webhook_secret_rotation", version: 1 });
    const after = await callJson<SecretBody>("/v1/webhooks/secret", { token: a.key });
    expect(after.body.version).toBe(1);
    expect(after.body.secret).not.toBe(before.body.secret);
    expect(after.body.previous_valid_until).toBe(rotated.body.previous_valid_until);
    const untouched = await callJson<SecretBody>("/v1/webhooks/secret", { token: b.key });
    expect(untouched.body.secret).toBe(other.body.secret);

    expect(
      (await adminCall("/admin/tenants/ten_nobody/webhook-secret/rotate", { method: "POST" }))
        .status,
    ).toBe(404);
    const anonymous = await call(`/admin/tenants/${a.tenantId}/webhook-secret/rotate`, {
      method: "POST",
      token: a.key,
    });
    expect(anonymous.status).toBe(401);
  });

  it("signs with the new and the previous secret during the overlap, then with the new alone", async () => {
    const rotatedAt = Date.UTC(2026, 5, 1);
    const tenant = {
      id: "ten_r",
      webhookSecretVersion: 2,
      webhookSecretRotatedAt: new Date(rotatedAt),
    };
    const during = await webhookSigningSecrets(
      "master",
      tenant,
      rotatedAt + ROTATION_OVERLAP_MS - 1,
    );
    expect(during).toEqual([
      await tenantWebhookSecret("master", "ten_r", 2),
      await tenantWebhookSecret("master", "ten_r", 1),
    ]);
    const message = { id: "msg_r", timestampS: 1_900_000_000, body: "{}" };
    const headers = await signWebhook(during, message);
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    const now = message.timestampS * 1000;
    for (const secret of during) {
      expect((await verifyWebhook(secret, headers, message.body, { now })).ok).toBe(true);
    }
    const later = await webhookSigningSecrets("master", tenant, rotatedAt + ROTATION_OVERLAP_MS);
    expect(later).toEqual([during[0]]);
    // Version 0 is the original derivation: secrets issued before rotation existed still verify.
    expect(await tenantWebhookSecret("master", "ten_r")).toBe(
      await tenantWebhookSecret("master", "ten_r", 0),
    );
  });
});
