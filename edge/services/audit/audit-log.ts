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

/** One prepared statement with fixed columns: built by hand because building it through drizzle on
 *  every request cost more CPU than the rest of the audit path. Columns as in db/schema.ts. */
const INSERT_AUDIT = `INSERT INTO audit_records (request_id, tenant_id, key_id, route, tier, params,
  prompt_sha256, safety_decision, safety_category, policy_version, region, status, error_code,
  timings, cost_charged, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

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
    try {
      const insert = this.d1.prepare(INSERT_AUDIT);
      const statements = records.map((record) => insert.bind(...auditValues(record)));
      // One round trip and one transaction for the whole batch.
      if (statements.length === 1) await statements[0]?.run();
      else await this.d1.batch(statements);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "audit write failed",
          request_ids: records.map((r) => r.requestId),
          message: error instanceof Error ? error.message : String(error),
        }),
      );
    }
  }
}

const jsonOrNull = (value: unknown) => (value == null ? null : JSON.stringify(value));

/** In INSERT_AUDIT's column order, encoded as drizzle would (JSON text, epoch ms). */
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
