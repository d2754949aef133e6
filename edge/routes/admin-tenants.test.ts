// Admin tenant flows: create with defaults, read, patch, and strict validation naming the field.
import { describe, expect, it } from "vitest";
import { adminCall, createTenant, type ErrorEnvelope } from "../test/harness";

describe("admin tenants", () => {
  it("creates a tenant with documented defaults and reads it back", async () => {
    const created = await adminCall("/admin/tenants", { json: { name: "Acme Studio" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: "tenant",
      name: "Acme Studio",
      rate_limit_per_minute: 60,
      max_concurrency: 4,
      monthly_image_quota: 1000,
      allowed_tiers: ["fast", "quality", "batch"],
      residency: null,
      store_prompts: false,
    });
    expect(created.body.id).toMatch(/^ten_[0-9A-Za-z]{20}$/);
    const read = await adminCall(`/admin/tenants/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  it("patches only the fields given", async () => {
    const tenant = await createTenant({ rate_limit_per_minute: 10, allowed_tiers: ["fast"] });
    const patched = await adminCall(`/admin/tenants/${tenant.id}`, {
      method: "PATCH",
      json: { monthly_image_quota: 5, residency: "eu" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      rate_limit_per_minute: 10,
      allowed_tiers: ["fast"],
      monthly_image_quota: 5,
      residency: "eu",
    });
    const read = await adminCall(`/admin/tenants/${tenant.id}`);
    expect(read.body).toMatchObject({ monthly_image_quota: 5, residency: "eu" });
  });

  it("rejects unknown fields with 400 naming the field", async () => {
    const res = await adminCall<ErrorEnvelope>("/admin/tenants", {
      json: { name: "x", rate_limit: 5 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", param: "rate_limit" });
  });

  it.each([
    [{ name: "" }, "name"],
    [{ name: "ok", rate_limit_per_minute: 0 }, "rate_limit_per_minute"],
    [{ name: "ok", max_concurrency: 1.5 }, "max_concurrency"],
    [{ name: "ok", allowed_tiers: ["turbo"] }, "allowed_tiers.0"],
    [{ name: "ok", allowed_tiers: ["fast", "fast"] }, "allowed_tiers"],
    [{ name: "ok", store_prompts: "yes" }, "store_prompts"],
    [{ name: "bad\u0007name" }, "name"],
    [{}, "name"],
  ])("rejects %j at %s", async (json, param) => {
    const res = await adminCall<ErrorEnvelope>("/admin/tenants", { json });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe(param);
  });

  it("rejects an empty patch and answers 404 for an unknown tenant", async () => {
    const tenant = await createTenant();
    const empty = await adminCall<ErrorEnvelope>(`/admin/tenants/${tenant.id}`, {
      method: "PATCH",
      json: {},
    });
    expect(empty.status).toBe(400);
    const missing = await adminCall<ErrorEnvelope>("/admin/tenants/ten_doesnotexist");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
    const patchMissing = await adminCall<ErrorEnvelope>("/admin/tenants/ten_doesnotexist", {
      method: "PATCH",
      json: { name: "x" },
    });
    expect(patchMissing.status).toBe(404);
  });
});
