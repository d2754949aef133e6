// The audit log in D1: one record per request, written off the response path in batches, read by the admin API.
import { and, desc, eq, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type AuditRow, auditRecords, type NewAuditRow } from "../../db/schema";
import { AuditBatcher } from "./audit-batcher";

export interface AuditQuery {
  tenantId?: string;
  limit: number;
  /** Only records with a smaller id: the cursor for the next page. */
  before?: number;
}

export interface AuditLog {
  /** Queues the record; it reaches D1 after the response, through a request's `waitUntil`. An
   *  audit failure is logged, never surfaced: it must not turn a served request into an error. */
  submit(record: NewAuditRow): void;
  list(query: AuditQuery): Promise<AuditRow[]>;
}

/** The audit_records columns the insert fills, in the order `auditValues` gives them (db/schema.ts). */
const AUDIT_COLUMNS = [
  "request_id",
  "tenant_id",
  "key_id",
  "route",
  "tier",
  "params",
  "prompt_sha256",
  "safety_decision",
  "safety_category",
  "policy_version",
  "region",
  "status",
  "error_code",
  "timings",
  "cost_charged",
  "created_at",
] as const;

/**
 * One statement for a whole batch: the records travel as one JSON array of rows and SQLite's
 * json_each unpacks them in array order (so ids keep the order of submission). n records cost one
 * statement instead of n; D1 binds at most 100 parameters per statement, so plain VALUES lists
 * would need one statement per 6 rows. Built by hand, not through drizzle, which cost more CPU
 * per request than the rest of the audit path.
 */
const INSERT_AUDIT = `INSERT INTO audit_records (${AUDIT_COLUMNS.join(", ")})
  SELECT ${AUDIT_COLUMNS.map((_, i) => `value ->> ${i}`).join(", ")}
  FROM json_each(?) ORDER BY key`;

/**
 * A retry's insert: a record already there (the first attempt committed, then its answer was lost)
 * is not written twice. Matched on tenant and creation time through audit_records_tenant_idx, then
 * request id and route; only retries pay for the lookup.
 */
const INSERT_AUDIT_ONCE = `INSERT INTO audit_records (${AUDIT_COLUMNS.join(", ")})
  SELECT ${AUDIT_COLUMNS.map((_, i) => `r.value ->> ${i}`).join(", ")}
  FROM json_each(?) AS r
  WHERE NOT EXISTS (SELECT 1 FROM audit_records a
    WHERE a.tenant_id IS r.value ->> 1 AND a.created_at = r.value ->> 15
      AND a.request_id = r.value ->> 0 AND a.route = r.value ->> 3)
  ORDER BY r.key`;

/** Waits before each retry of a failed batch write; after the last, the batch is logged and lost. */
export const AUDIT_RETRY_DELAYS_MS: readonly number[] = [100, 500];

/** One per isolate, so the records of requests that finish together share a write. */
const isolateBatcher = new AuditBatcher<NewAuditRow>();

export class D1AuditLog implements AuditLog {
  constructor(
    private readonly db: Database,
    private readonly d1: D1Database,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly batcher: AuditBatcher<NewAuditRow> = isolateBatcher,
  ) {}

  submit(record: NewAuditRow): void {
    this.batcher.add(record, this.d1, (records) => this.writeAll(records), this.waitUntil);
  }

  /** Newest first, in the order of audit_records_tenant_page_idx (the primary key across tenants):
   *  a page reads its `limit` records, never the tenant's whole history. */
  list(query: AuditQuery): Promise<AuditRow[]> {
    const filters = [
      query.tenantId ? eq(auditRecords.tenantId, query.tenantId) : undefined,
      query.before ? lt(auditRecords.id, query.before) : undefined,
    ];
    return this.db
      .select()
      .from(auditRecords)
      .where(and(...filters))
      .orderBy(desc(auditRecords.id))
      .limit(query.limit);
  }

  private async writeAll(records: readonly NewAuditRow[]): Promise<void> {
    // One round trip, one statement and one transaction for the whole batch.
    const rows = JSON.stringify(records.map(auditValues));
    let failure: unknown;
    for (let attempt = 0; attempt <= AUDIT_RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await delay(AUDIT_RETRY_DELAYS_MS[attempt - 1] ?? 0);
      try {
        await this.d1
          .prepare(attempt === 0 ? INSERT_AUDIT : INSERT_AUDIT_ONCE)
          .bind(rows)
          .run();
        return;
      } catch (error) {
        failure = error;
      }
    }
    console.error(
      JSON.stringify({
        level: "error",
        msg: "audit write failed",
        request_ids: records.map((r) => r.requestId),
        message: failure instanceof Error ? failure.message : String(failure),
      }),
    );
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const jsonOrNull = (value: unknown) => (value == null ? null : JSON.stringify(value));

/** In AUDIT_COLUMNS order, encoded as drizzle would (JSON text, epoch ms); json_each hands
 *  numbers back as INTEGER or REAL and strings as TEXT, so the row reads back unchanged. */
function auditValues(record: NewAuditRow): unknown[] {
  return [
    record.requestId,
    record.tenantId ?? null,
    record.keyId ?? null,
    record.route,
    record.tier ?? null,
    jsonOrNull(record.params),
    record.promptSha256 ?? null,
    record.safetyDecision ?? null,
    record.safetyCategory ?? null,
    record.policyVersion ?? null,
    record.region ?? null,
    record.status,
    record.errorCode ?? null,
    jsonOrNull(record.timings),
    record.costCharged ?? 0,
    (record.createdAt ?? new Date()).getTime(),
  ];
}
