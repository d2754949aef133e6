// Audit retention over the real D1: what the cron deletes, how much per run, and AUDIT_RETENTION_DAYS.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../db/client";
import {
  AUDIT_PURGE_BATCH,
  AuditRetention,
  auditRetentionDays,
  DEFAULT_AUDIT_RETENTION_DAYS,
} from "./audit-retention";

const DAY_MS = 24 * 60 * 60_000;
/** The clock of these tests: every record they seed is older than it, and every record other
 *  tests write is newer, so a purge here deletes only what this file seeded. */
const NOW = Date.UTC(2001, 0, 1);

/** Writes `count` records for `tenantId`, created `ageMs` before NOW and 1 ms apart (oldest first). */
async function seed(tenantId: string, count: number, ageMs: number): Promise<void> {
  await env.DB.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < ?1)
     INSERT INTO audit_records (request_id, tenant_id, route, status, created_at)
     SELECT 'req_' || i, ?2, 'GET /v1/models', 401, ?3 + i FROM seq`,
  )
    .bind(count, tenantId, NOW - ageMs)
    .run();
}

async function createdAts(tenantId: string): Promise<number[]> {
  const { results } = await env.DB.prepare(
    "SELECT created_at FROM audit_records WHERE tenant_id = ? ORDER BY created_at",
  )
    .bind(tenantId)
    .all<{ created_at: number }>();
  return results.map((r) => r.created_at);
}

const retention = (days: number) => new AuditRetention(openDatabase(env.DB), days, () => NOW);

beforeEach(async () => {
  await env.DB.prepare("DELETE FROM audit_records WHERE created_at <= ?").bind(NOW).run();
});

describe("AuditRetention", () => {
  it("deletes records older than the retention and keeps the rest", async () => {
    await seed("ten_expired", 3, 90 * DAY_MS + 3);
    await seed("ten_at_cutoff", 1, 90 * DAY_MS);
    await seed("ten_recent", 2, DAY_MS);
    expect(await retention(90).purgeExpired()).toBe(3);
    expect(await createdAts("ten_expired")).toEqual([]);
    expect(await createdAts("ten_at_cutoff")).toEqual([NOW - 90 * DAY_MS]);
    expect(await createdAts("ten_recent")).toHaveLength(2);
    expect(await retention(90).purgeExpired()).toBe(0);
  });

  it("deletes at most one batch per run, oldest first, and the rest on later runs", async () => {
    const extra = 25;
    await seed("ten_backlog", AUDIT_PURGE_BATCH + extra, 400 * DAY_MS);
    await seed("ten_recent", 1, DAY_MS);
    expect(await retention(90).purgeExpired()).toBe(AUDIT_PURGE_BATCH);
    const left = await createdAts("ten_backlog");
    // The newest of the backlog are what remains.
    expect(left).toEqual(
      Array.from({ length: extra }, (_, i) => NOW - 400 * DAY_MS + AUDIT_PURGE_BATCH + i),
    );
    expect(await retention(90).purgeExpired()).toBe(extra);
    expect(await createdAts("ten_backlog")).toEqual([]);
    expect(await createdAts("ten_recent")).toHaveLength(1);
  });

  it("finds the oldest records through the created_at index, not a scan of the table", async () => {
    // The purge's own statement, captured on its way to D1 and run again under EXPLAIN QUERY PLAN.
    const sent: { sql: string; params: unknown[] }[] = [];
    const recording = {
      prepare: (sql: string) => ({
        bind: (...params: unknown[]) => {
          sent.push({ sql, params });
          return env.DB.prepare(sql).bind(...params);
        },
      }),
    } as unknown as D1Database;
    await new AuditRetention(openDatabase(recording), 90, () => NOW).purgeExpired();
    expect(sent).toHaveLength(1);
    const [{ sql, params }] = sent as [{ sql: string; params: unknown[] }];
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>();
    const details = plan.results.map((r) => r.detail).join("\n");
    expect(details).toContain("audit_records_created_idx");
    expect(details).not.toMatch(/SCAN audit_records(?! USING)/);
  });
});

describe("AUDIT_RETENTION_DAYS", () => {
  let errors: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    errors = vi.spyOn(console, "error").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    [undefined, DEFAULT_AUDIT_RETENTION_DAYS],
    ["", DEFAULT_AUDIT_RETENTION_DAYS],
    ["1", 1],
    [" 30 ", 30],
    ["3650", 3650],
  ])("keeps records %i day(s) for %j, quietly", (raw, days) => {
    expect(auditRetentionDays(raw)).toBe(days);
    expect(errors).not.toHaveBeenCalled();
  });

  it.each(["0", "3651", "-7", "7.5", "1e2", "30d", "ninety"])(
    "falls back to the default for %j with one error line naming the var",
    (raw) => {
      expect(auditRetentionDays(raw)).toBe(DEFAULT_AUDIT_RETENTION_DAYS);
      expect(errors).toHaveBeenCalledTimes(1);
      const line = String(errors.mock.calls[0]?.[0]);
      expect(JSON.parse(line)).toMatchObject({ level: "error", value: raw });
      expect(line).toContain("AUDIT_RETENTION_DAYS");
    },
  );

  it("keeps records the default 90 days when the var is invalid, instead of failing the purge", async () => {
    await seed("ten_31_days", 1, 31 * DAY_MS);
    await seed("ten_91_days", 1, 91 * DAY_MS);
    const purge = (raw: string) =>
      new AuditRetention(openDatabase(env.DB), auditRetentionDays(raw), () => NOW).purgeExpired();
    expect(await purge("thirty")).toBe(1);
    expect(await createdAts("ten_91_days")).toEqual([]);
    expect(await createdAts("ten_31_days")).toHaveLength(1);
    expect(await purge("30")).toBe(1);
    expect(await createdAts("ten_31_days")).toEqual([]);
  });
});
