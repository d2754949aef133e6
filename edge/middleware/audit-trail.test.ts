// One audit record per request, rejected ones included, readable through GET /admin/audit.
import { describe, expect, it } from "vitest";
import { adminCall, call, createTenant, issueKey } from "../test/harness";

interface AuditList {
  data: Array<Record<string, unknown>>;
  next_before: number | null;
}

async function recordsFor(requestId: string) {
  const list = await adminCall<AuditList>("/admin/audit?limit=500");
  return list.body.data.filter((r) => r.request_id === requestId);
}

describe("audit trail", () => {
  it("records a request rejected for an invalid key, without the key", async () => {
    const key = `drk_${"k".repeat(40)}`;
    await call("/v1/models", { token: key, headers: { "x-request-id": "audit-bad-key" } });
    const [record, ...rest] = await recordsFor("audit-bad-key");
    expect(rest).toHaveLength(0);
    expect(record).toMatchObject({
      route: "GET /v1/models",
      status: 401,
      error_code: "invalid_api_key",
      tenant_id: null,
      key_id: null,
    });
    expect(JSON.stringify(record)).not.toContain(key);
  });

  it("records a validation failure with its code", async () => {
    await call("/admin/tenants", {
      token: "dev-admin-token",
      json: { name: "x", colour: "red" },
      headers: { "x-request-id": "audit-validation" },
    });
    const [record] = await recordsFor("audit-validation");
    expect(record).toMatchObject({
      route: "POST /admin/tenants",
      status: 400,
      error_code: "invalid_request",
    });
  });

  it("records an admitted request with its tenant and key id", async () => {
    const tenant = await createTenant();
    const issued = await issueKey(tenant.id);
    await call("/v1/models", { token: issued.key, headers: { "x-request-id": "audit-ok" } });
    const [record] = await recordsFor("audit-ok");
    expect(record).toMatchObject({
      status: 200,
      error_code: null,
      tenant_id: tenant.id,
      key_id: issued.id,
    });
    expect(record?.timings).toHaveProperty("total_ms");
  });

  it("records oversized bodies and unknown routes by their raw path", async () => {
    await call("/admin/tenants", {
      token: "dev-admin-token",
      headers: { "content-type": "application/json", "x-request-id": "audit-413" },
      body: "x".repeat(70_000),
    });
    await call("/no/such/route", { headers: { "x-request-id": "audit-404" } });
    expect((await recordsFor("audit-413"))[0]).toMatchObject({ status: 413 });
    expect((await recordsFor("audit-404"))[0]).toMatchObject({
      route: "GET /no/such/route",
      status: 404,
      error_code: "not_found",
    });
  });

  it("filters by tenant, limits and pages newest first", async () => {
    const tenant = await createTenant();
    const { key } = await issueKey(tenant.id);
    for (let i = 0; i < 3; i++) await call("/v1/models", { token: key });
    const page = await adminCall<AuditList>(`/admin/audit?tenant_id=${tenant.id}&limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.data.every((r) => r.tenant_id === tenant.id)).toBe(true);
    const ids = page.body.data.map((r) => Number(r.id));
    expect(ids[0]).toBeGreaterThan(ids[1] ?? 0);
    const next = await adminCall<AuditList>(
      `/admin/audit?tenant_id=${tenant.id}&limit=10&before=${page.body.next_before}`,
    );
    // 3 model calls + the tenant creation + the key issue, all attributed to the tenant.
    expect(page.body.data.length + next.body.data.length).toBe(5);
  });

  it("rejects a bad limit naming the parameter", async () => {
    const res = await adminCall<{ error: { param: string } }>("/admin/audit?limit=0");
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe("limit");
  });
});
