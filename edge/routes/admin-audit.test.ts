// GET /admin/audit: query values as a form or URL template sends them (empty = not set), and the tenant filter.
import { beforeAll, describe, expect, it } from "vitest";
import { tenantWithKey } from "../test/generation";
import { adminCall, call } from "../test/harness";

interface AuditList {
  data: { tenant_id: string | null; route: string }[];
  next_before: number | null;
}

let a: { tenantId: string; key: string };
let b: { tenantId: string; key: string };
beforeAll(async () => {
  a = await tenantWithKey();
  b = await tenantWithKey();
  for (const { key } of [a, b]) await call("/v1/usage", { token: key });
});

const tenantsIn = (list: AuditList) => new Set(list.data.map((r) => r.tenant_id));

describe("GET /admin/audit", () => {
  it("treats empty tenant_id, limit and before as absent", async () => {
    const res = await adminCall<AuditList>("/admin/audit?tenant_id=&limit=&before=");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
    expect(res.body.data.length).toBeLessThanOrEqual(50);
    expect([...tenantsIn(res.body)]).toEqual(expect.arrayContaining([a.tenantId, b.tenantId]));
  });

  it("filters by a tenant given beside an empty limit", async () => {
    const res = await adminCall<AuditList>(`/admin/audit?tenant_id=${a.tenantId}&limit=`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect([...tenantsIn(res.body)]).toEqual([a.tenantId]);
  });

  it("still refuses a limit out of range", async () => {
    const res = await adminCall<{ error: { param: string } }>("/admin/audit?limit=0");
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe("limit");
  });
});
