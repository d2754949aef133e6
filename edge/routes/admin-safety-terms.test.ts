// Admin safety terms: list/add/delete, refusals at write time (not fail-closed later), tenant scope, and effect on prompts.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_TENANT_TERMS } from "../safety/tenant-policy";
import { installFakeOrigin } from "../test/fake-origin";
import { generate, tenantWithKey } from "../test/generation";
import { adminCall, callJson, createTenant, type ErrorEnvelope } from "../test/harness";

afterEach(() => vi.restoreAllMocks());

interface Term {
  id: number;
  object: "safety_term";
  category: string;
  term: string;
  created_at: string;
}

const termsPath = (tenantId: string) => `/admin/tenants/${tenantId}/safety-terms`;

const addTerm = <T = Term>(tenantId: string, json: unknown) =>
  adminCall<T>(termsPath(tenantId), { method: "POST", json });

const listTerms = (tenantId: string) =>
  adminCall<{ object: string; data: Term[] }>(termsPath(tenantId));

/** Fills a tenant's terms straight in D1 (one statement), as a long-lived tenant would have them. */
async function seedTerms(tenantId: string, count: number): Promise<void> {
  await env.DB.prepare(
    `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?2)
     insert into safety_terms (tenant_id, category, term) select ?1, 'tenant_custom', 'seeded' || i from n`,
  )
    .bind(tenantId, count)
    .run();
}

describe("admin safety terms", () => {
  it("adds, lists and deletes a tenant's terms", async () => {
    const tenant = await createTenant();
    const added = await addTerm(tenant.id, { category: "tenant_custom", term: "Bluebird" });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      object: "safety_term",
      category: "tenant_custom",
      term: "Bluebird",
    });
    expect(Number.isInteger(added.body.id)).toBe(true);
    expect(Date.parse(added.body.created_at)).not.toBeNaN();
    const other = await addTerm(tenant.id, { category: "violence_graphic", term: "bluebird" });
    expect(other.status).toBe(201);

    const listed = await listTerms(tenant.id);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ object: "list", data: [added.body, other.body] });

    const removed = await adminCall(`${termsPath(tenant.id)}/${added.body.id}`, {
      method: "DELETE",
    });
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({ id: added.body.id, object: "safety_term", deleted: true });
    expect((await listTerms(tenant.id)).body.data).toEqual([other.body]);
    const again = await adminCall<ErrorEnvelope>(`${termsPath(tenant.id)}/${added.body.id}`, {
      method: "DELETE",
    });
    expect(again.status).toBe(404);
    expect(again.body.error.param).toBe("term_id");
  });

  it.each([
    ["an unknown category", { category: "spam", term: "x" }, "category"],
    ["a missing category", { term: "x" }, "category"],
    ["a term that folds to nothing", { category: "tenant_custom", term: "!!! --" }, "term"],
    ["an empty term", { category: "tenant_custom", term: "" }, "term"],
    ["a term over 100 characters", { category: "tenant_custom", term: "a".repeat(101) }, "term"],
    ["an unknown field", { category: "tenant_custom", term: "x", note: "y" }, "note"],
  ])("refuses %s with 400 naming the field, storing nothing", async (_label, json, param) => {
    const tenant = await createTenant();
    const res = await addTerm<ErrorEnvelope>(tenant.id, json);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", param });
    expect((await listTerms(tenant.id)).body.data).toEqual([]);
  });

  it("answers 409 naming the existing term for the same term after folding, in the same category", async () => {
    const tenant = await createTenant();
    const first = await addTerm(tenant.id, { category: "tenant_custom", term: "Blue Bird" });
    const dup = await addTerm<ErrorEnvelope>(tenant.id, {
      category: "tenant_custom",
      term: "  BLUE   bird!",
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: "conflict", param: "term" });
    expect(dup.body.error.message).toContain(`term id ${first.body.id}`);
    expect((await listTerms(tenant.id)).body.data).toHaveLength(1);
  });

  it("stops at the policy compiler's limit, and the tenant's prompts still compile at it", async () => {
    const origin = installFakeOrigin();
    const { tenantId, key } = await tenantWithKey();
    await seedTerms(tenantId, MAX_TENANT_TERMS - 1);
    const last = await addTerm(tenantId, { category: "tenant_custom", term: "finalterm" });
    expect(last.status).toBe(201);
    const over = await addTerm<ErrorEnvelope>(tenantId, { category: "hate", term: "overflow" });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ code: "invalid_request", param: "term" });
    expect(over.body.error.message).toContain(String(MAX_TENANT_TERMS));
    expect((await listTerms(tenantId)).body.data).toHaveLength(MAX_TENANT_TERMS);
    // At the limit the prefilter still compiles the terms: no fail-closed internal_check_error.
    expect((await generate(key, { prompt: "a fox" })).status).toBe(200);
    expect((await generate(key, { prompt: "a finalterm fox" })).status).toBe(400);
    expect(origin.calls).toHaveLength(1);
  });

  it("answers 404 naming the tenant for an unknown tenant", async () => {
    const path = termsPath("ten_missing");
    const results = [
      await adminCall<ErrorEnvelope>(path),
      await addTerm<ErrorEnvelope>("ten_missing", { category: "tenant_custom", term: "x" }),
      await adminCall<ErrorEnvelope>(`${path}/1`, { method: "DELETE" }),
    ];
    for (const res of results) {
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "not_found", param: "id" });
    }
  });

  it("answers 404 for another tenant's term, and leaves that term in place", async () => {
    const owner = await createTenant();
    const other = await createTenant();
    const term = await addTerm(owner.id, { category: "tenant_custom", term: "heron" });
    for (const termId of [String(term.body.id), "abc", "0"]) {
      const res = await adminCall<ErrorEnvelope>(`${termsPath(other.id)}/${termId}`, {
        method: "DELETE",
      });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "not_found", param: "term_id" });
    }
    expect((await listTerms(owner.id)).body.data).toEqual([term.body]);
    expect((await listTerms(other.id)).body.data).toEqual([]);
  });

  it("refuses callers without the admin token, changing nothing", async () => {
    const tenant = await createTenant();
    const kept = await addTerm(tenant.id, { category: "tenant_custom", term: "osprey" });
    const json = { category: "tenant_custom", term: "kestrel" };
    const refused = [
      await callJson(termsPath(tenant.id)),
      await callJson(termsPath(tenant.id), { json }),
      await callJson(termsPath(tenant.id), { json, token: "not-the-admin-token" }),
      await callJson(`${termsPath(tenant.id)}/${kept.body.id}`, { method: "DELETE" }),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect((await listTerms(tenant.id)).body.data).toEqual([kept.body]);
  });

  it("applies an added term to the tenant's next generation at once, and a deletion too", async () => {
    const origin = installFakeOrigin();
    const { tenantId, key } = await tenantWithKey();
    const prompt = { prompt: "a kingfisher over a river" };
    // This request caches the tenant's (empty) additions in the isolate.
    expect((await generate(key, prompt)).status).toBe(200);
    const added = await addTerm(tenantId, { category: "tenant_custom", term: "Kingfisher" });
    expect(added.status).toBe(201);
    const blocked = await generate(key, prompt);
    expect(blocked.status).toBe(400);
    expect(((await blocked.json()) as ErrorEnvelope).error).toMatchObject({
      code: "content_policy_violation",
      param: "prompt",
    });
    expect(origin.calls).toHaveLength(1);
    await adminCall(`${termsPath(tenantId)}/${added.body.id}`, { method: "DELETE" });
    expect((await generate(key, prompt)).status).toBe(200);
    expect(origin.calls).toHaveLength(2);
  });
});
