// The audit log in D1: one record per request, written off the response path, read by the admin API.
import { and, desc, eq, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type AuditRow, auditRecords, type NewAuditRow } from "../../db/schema";

export interface AuditQuery {
  tenantId?: string;
  limit: number;
  /** Only records with a smaller id: the cursor for the next page. */
  before?: number;
}

export interface AuditLog {
  /** Never rejects: an audit failure is logged, and must not turn a served request into an error. */
  write(record: NewAuditRow): Promise<void>;
  list(query: AuditQuery): Promise<AuditRow[]>;
}

export class D1AuditLog implements AuditLog {
  constructor(private readonly db: Database) {}

  async write(record: NewAuditRow): Promise<void> {
    try {
      await this.db.insert(auditRecords).values(record);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: "audit write failed",
          request_id: record.requestId,
          message: error instanceof Error ? error.message : String(error),
        }),
      );
    }
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
}
