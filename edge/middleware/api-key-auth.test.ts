// API-key auth: Bearer parsing, 401 codes, revocation and expiry at once, and no plaintext key at rest.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/client";
import { apiKeys } from "../db/schema";
import { hashKey } from "../services/keys/key-material";
import { adminCall, callJson, createTenant, type ErrorEnvelope, issueKey } from "../test/harness";

const models = (token?: string, headers?: Record<string, string>) =>
  callJson<ErrorEnvelope>("/v1/models", { token, headers });

describe("api key auth", () => {
  it("admits a live key", async () => {
    const { key } = await issueKey((await createTenant()).id);
    const res = await callJson("/v1/models", { token: key });
    expect(res.status).toBe(200);
    expect(res.body.object).toBe("list");
  });

  it.each([
    ["no Authorization header", {}, "missing_api_key"],
    ["a Basic credential", { authorization: "Basic dXNlcjpwYXNz" }, "invalid_api_key"],
    ["an empty Bearer", { authorization: "Bearer " }, "invalid_api_key"],
    ["a malformed key", { authorization: "Bearer sk-123" }, "invalid_api_key"],
    ["an unknown key", { authorization: `Bearer drk_${"Z".repeat(40)}` }, "invalid_api_key"],
  ])("answers %s with 401", async (_label, headers, code) => {
    const res = await models(undefined, headers);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code, type: "authentication_error" });
  });

  it("makes revocation effective at once, even right after a cached lookup", async () => {
    const issued = await issueKey((await createTenant()).id);
    expect((await models(issued.key)).status).toBe(200);
    // The first lookup cached the key in KV; revocation must purge that entry.
    expect(await env.KEYS_CACHE.get(`apikey:${await hashKey(issued.key)}`)).not.toBeNull();
    await adminCall(`/admin/keys/${issued.id}`, { method: "DELETE" });
    const res = await models(issued.key);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("invalid_api_key");
  });

  it("applies a tenant's changed limits at once, even right after a cached lookup", async () => {
    const tenant = await createTenant({ rate_limit_per_minute: 60 });
    const { key } = await issueKey(tenant.id);
    const usage = () => callJson<{ rate_limit_per_minute: number }>("/v1/usage", { token: key });
    expect((await usage()).body.rate_limit_per_minute).toBe(60);
    const patched = await adminCall(`/admin/tenants/${tenant.id}`, {
      method: "PATCH",
      json: { rate_limit_per_minute: 7 },
    });
    expect(patched.status).toBe(200);
    expect((await usage()).body.rate_limit_per_minute).toBe(7);
  });

  it("rejects an expired key", async () => {
    const issued = await issueKey((await createTenant()).id);
    await openDatabase(env.DB)
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiKeys.id, issued.id));
    const res = await models(issued.key);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
  });

  it("never leaks the key in an error", async () => {
    const key = `drk_${"Q".repeat(40)}`;
    const res = await models(key);
    expect(JSON.stringify(res.body)).not.toContain(key);
  });
});

describe("keys at rest", () => {
  it("stores no plaintext key anywhere in D1 or KV", async () => {
    const tenant = await createTenant();
    const issued = await issueKey(tenant.id);
    const random = issued.key.slice(4);
    await models(issued.key); // populate the KV cache
    await models(`drk_${"x".repeat(40)}`); // and an audit record of a rejection
    const tables = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    ).all<{ name: string }>();
    expect(tables.results.length).toBeGreaterThan(5);
    for (const { name } of tables.results) {
      const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
      expect(JSON.stringify(rows.results), name).not.toContain(random);
    }
    const listed = await env.KEYS_CACHE.list();
    expect(listed.keys.length).toBeGreaterThan(0);
    for (const { name } of listed.keys) {
      expect(name).not.toContain(random);
      expect(await env.KEYS_CACHE.get(name)).not.toContain(random);
    }
    const row = await env.DB.prepare("SELECT hash, prefix FROM api_keys WHERE id = ?")
      .bind(issued.id)
      .first<{ hash: string; prefix: string }>();
    expect(row?.hash).toBe(await hashKey(issued.key));
    expect(row?.prefix).toBe(issued.prefix);
  });
});
