// Audit retention: the cron deletes audit records older than AUDIT_RETENTION_DAYS, a bounded batch per run.
import { lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { auditRecords } from "../../db/schema";

export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
/** Ten years: anything longer is far more likely a typo than a policy. */
export const MAX_AUDIT_RETENTION_DAYS = 3650;
/**
 * Records the cron deletes per run (one a minute), oldest first through audit_records_created_idx:
 * one short statement well inside D1's per-query limits, yet up to 7.2 M records a day, so a
 * backlog (the first run after this shipped, or a shortened retention) drains over later runs.
 */
export const AUDIT_PURGE_BATCH = 5_000;

const DAY_MS = 24 * 60 * 60_000;

/**
 * The retention in days from the AUDIT_RETENTION_DAYS var: unset or empty means the default; a
 * value that is not a whole number of days from 1 to MAX_AUDIT_RETENTION_DAYS is logged and also
 * falls back to the default, so a bad deploy keeps purging rather than failing every cron run.
 */
export function auditRetentionDays(raw: string | undefined): number {
  const text = raw?.trim() ?? "";
  if (text === "") return DEFAULT_AUDIT_RETENTION_DAYS;
  const days = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (days >= 1 && days <= MAX_AUDIT_RETENTION_DAYS) return days;
  console.error(
    JSON.stringify({
      level: "error",
      msg: `AUDIT_RETENTION_DAYS must be a whole number of days from 1 to ${MAX_AUDIT_RETENTION_DAYS}; keeping audit records ${DEFAULT_AUDIT_RETENTION_DAYS} days`,
      value: raw,
    }),
  );
  return DEFAULT_AUDIT_RETENTION_DAYS;
}

export class AuditRetention {
  constructor(
    private readonly db: Database,
    private readonly retentionDays: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Deletes up to `limit` records created more than the retention ago, oldest first; returns how many went. */
  async purgeExpired(limit = AUDIT_PURGE_BATCH): Promise<number> {
    const cutoff = new Date(this.now() - this.retentionDays * DAY_MS);
    const a = auditRecords;
    const oldest = this.db
      .select({ id: a.id })
      .from(a)
      .where(lt(a.createdAt, cutoff))
      .orderBy(a.createdAt)
      .limit(limit);
    const result = await this.db.delete(a).where(sql`${a.id} in ${oldest}`);
    return result.meta.changes;
  }
}
