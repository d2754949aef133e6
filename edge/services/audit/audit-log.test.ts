// The hand-written audit insert stores every field where drizzle's schema reads it back.
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import type { NewAuditRow } from "../../db/schema";
import * as schema from "../../db/schema";
import { AuditBatcher } from "./audit-batcher";
import { D1AuditLog } from "./audit-log";

describe("audit log", () => {
  it("reads back each field of a submitted record unchanged", async () => {
    const pending: Promise<unknown>[] = [];
    const log = new D1AuditLog(openDatabase(env.DB), env.DB, (p) => pending.push(p));
    const record: NewAuditRow = {
      requestId: "req_roundtrip",
      tenantId: "ten_roundtrip",
      keyId: "key_roundtrip",
      route: "POST /v1/images/generations",
      tier: "fast",
      params: { n: 2, size: "512x512", user: null },
      promptSha256: "a".repeat(64),
      safetyDecision: "allow",
      safetyCategory: null,
      policyVersion: "base-1+d1-3",
      region: "eu",
      status: 200,
      errorCode: null,
      timings: { admit_ms: 1, total_ms: 9 },
      costCharged: 4,
      createdAt: new Date(1_767_225_600_123),
    };
    log.submit(record);
    await Promise.all(pending);
    const [row] = await log.list({ tenantId: "ten_roundtrip", limit: 5 });
    expect(row).toEqual({ ...record, id: expect.any(Number) });
  });

  it("writes a batch as one statement, every record kept in the order it was submitted", async () => {
    const pending: Promise<unknown>[] = [];
    const batcher = new AuditBatcher<NewAuditRow>(() => Promise.resolve());
    const log = new D1AuditLog(openDatabase(env.DB), env.DB, (p) => pending.push(p), batcher);
    const ids = ["req_b1", "req_b2", "req_b3"];
    for (const [i, requestId] of ids.entries()) {
      log.submit({ requestId, tenantId: "ten_batch", route: "GET /v1/models", status: 200 + i });
    }
    expect(pending).toHaveLength(1);
    await Promise.all(pending);
    const rows = await log.list({ tenantId: "ten_batch", limit: 5 });
    // Newest first: the last submitted has the highest id.
    expect(rows.map((r) => [r.requestId, r.status, r.params])).toEqual([
      ["req_b3", 202, null],
      ["req_b2", 201, null],
      ["req_b1", 200, null],
    ]);
  });
});

/** env.DB whose first `run` fails: before the statement ran, or after it committed. */
function flakyD1(when: "before" | "after"): D1Database {
  let failures = 1;
  return {
    prepare: (sql: string) => ({
      bind: (...values: unknown[]) => {
        const statement = env.DB.prepare(sql).bind(...values);
        return {
          run: async () => {
            if (failures-- <= 0) return statement.run();
            if (when === "after") await statement.run();
            throw new Error("D1_ERROR: Network connection lost.");
          },
        };
      },
    }),
  } as unknown as D1Database;
}

describe("a failed audit write", () => {
  it.each(["before", "after"] as const)(
    "is retried, and the record lands exactly once (the first try failed %s running)",
    async (when) => {
      const pending: Promise<unknown>[] = [];
      const log = new D1AuditLog(openDatabase(env.DB), flakyD1(when), (p) => pending.push(p));
      const tenantId = `ten_retry_${when}`;
      log.submit({
        requestId: `req_retry_${when}`,
        tenantId,
        route: "POST /v1/images/generations",
        status: 200,
        createdAt: new Date(1_767_225_600_000),
      });
      await Promise.all(pending);
      const rows = await new D1AuditLog(openDatabase(env.DB), env.DB, () => {}).list({
        tenantId,
        limit: 10,
      });
      expect(rows.map((r) => r.requestId)).toEqual([`req_retry_${when}`]);
    },
  );
});

describe("paging one tenant's records", () => {
  it.each([
    ["the first page", {}],
    ["a later page", { before: 1_000 }],
  ])("reads %s in index order, never sorting the tenant's records", async (_label, page) => {
    const queries: { sql: string; params: unknown[] }[] = [];
    const logQuery = (sql: string, params: unknown[]) => queries.push({ sql, params });
    const db = drizzle(env.DB, { schema, logger: { logQuery } });
    await new D1AuditLog(db, env.DB, () => {}).list({ tenantId: "ten_paging", limit: 50, ...page });
    expect(queries).toHaveLength(1);
    const [{ sql, params }] = queries as [{ sql: string; params: unknown[] }];
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    const steps = plan.results.map((r) => r.detail).join("\n");
    expect(steps).toContain("audit_records_tenant_page_idx");
    expect(steps).not.toContain("TEMP B-TREE");
  });
});
