// Admin key flows: issue (shown once, drk_ + base62), revoke (idempotent, 404 for unknown), expiry input.
import { describe, expect, it } from "vitest";
import { adminCall, createTenant, type ErrorEnvelope, issueKey } from "../test/harness";

describe("admin keys", () => {
  it("issues a drk_ key of at least 32 base62 characters with a display prefix", async () => {
    const tenant = await createTenant();
    const res = await adminCall(`/admin/tenants/${tenant.id}/keys`, {
      method: "POST",
      json: { name: "prod" },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: "api_key", name: "prod", tenant_id: tenant.id });
    const key = String(res.body.key);
    expect(key).toMatch(/^drk_[0-9A-Za-z]{32,}$/);
    expect(key.startsWith(String(res.body.prefix))).toBe(true);
    expect(String(res.body.prefix).length).toBeLessThan(key.length / 3);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("issues a key with no body at all", async () => {
    const tenant = await createTenant();
    const res = await adminCall(`/admin/tenants/${tenant.id}/keys`, { method: "POST" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: null, expires_at: null });
  });

  it("never shows the key again: the tenant record does not carry it", async () => {
    const tenant = await createTenant();
    const { key } = await issueKey(tenant.id);
    const read = await adminCall(`/admin/tenants/${tenant.id}`);
    expect(JSON.stringify(read.body)).not.toContain(key);
  });

  it("issues distinct keys each time", async () => {
    const tenant = await createTenant();
    const keys = await Promise.all([1, 2, 3].map(() => issueKey(tenant.id)));
    expect(new Set(keys.map((k) => k.key)).size).toBe(3);
  });

  it("accepts a future expires_at and rejects a past one naming the field", async () => {
    const tenant = await createTenant();
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const ok = await adminCall(`/admin/tenants/${tenant.id}/keys`, {
      method: "POST",
      json: { expires_at: future },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.expires_at).toBe(future);
    const past = await adminCall<ErrorEnvelope>(`/admin/tenants/${tenant.id}/keys`, {
      method: "POST",
      json: { expires_at: "2001-01-01T00:00:00Z" },
    });
    expect(past.status).toBe(400);
    expect(past.body.error.param).toBe("expires_at");
  });

  it("answers 404 for a key on an unknown tenant", async () => {
    const res = await adminCall<ErrorEnvelope>("/admin/tenants/ten_missing/keys", {
      method: "POST",
      json: {},
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("revokes a key, keeps the first revocation time, and 404s an unknown key", async () => {
    const tenant = await createTenant();
    const issued = await issueKey(tenant.id);
    const first = await adminCall(`/admin/keys/${issued.id}`, { method: "DELETE" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id: issued.id, revoked: true, tenant_id: tenant.id });
    const again = await adminCall(`/admin/keys/${issued.id}`, { method: "DELETE" });
    expect(again.body.revoked_at).toBe(first.body.revoked_at);
    const missing = await adminCall<ErrorEnvelope>("/admin/keys/key_missing", { method: "DELETE" });
    expect(missing.status).toBe(404);
  });
});
