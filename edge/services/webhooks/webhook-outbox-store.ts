// SQLite tables of the webhook outbox inside a Durable Object: deliveries and every attempt at each.

export type SqlValue = string | number | null;

/** The part of a Durable Object's `ctx.storage.sql` (SqlStorage) the outbox uses: synchronous. */
export interface OutboxSql {
  exec<T extends Record<string, SqlValue>>(
    query: string,
    ...bindings: SqlValue[]
  ): { toArray(): T[] };
}

export type DeliveryStatus = "pending" | "delivered" | "failed";
/** What followed an attempt: done, another attempt scheduled, or given up. */
export type AttemptOutcome = "delivered" | "retrying" | "failed";

// Additive changes only (new tables, new nullable columns): these statements run on every start.
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS webhook_deliveries (
     id TEXT PRIMARY KEY,
     type TEXT NOT NULL,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
     attempts INTEGER NOT NULL,
     next_attempt_at_ms INTEGER,
     created_at_ms INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS webhook_attempts (
     delivery_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     at_ms INTEGER NOT NULL,
     status_code INTEGER,
     error TEXT,
     duration_ms INTEGER NOT NULL,
     outcome TEXT NOT NULL,
     PRIMARY KEY (delivery_id, attempt))`,
];

export type DeliveryRow = {
  id: string;
  type: string;
  url: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at_ms: number | null;
  created_at_ms: number;
};

export type AttemptRow = {
  delivery_id: string;
  attempt: number;
  at_ms: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  outcome: AttemptOutcome;
};

export class WebhookOutboxStore {
  constructor(private readonly sql: OutboxSql) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  insert(row: DeliveryRow): void {
    this.sql.exec(
      `INSERT INTO webhook_deliveries (id, type, url, body, status, attempts, next_attempt_at_ms,
         created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      row.id,
      row.type,
      row.url,
      row.body,
      row.status,
      row.attempts,
      row.next_attempt_at_ms,
      row.created_at_ms,
    );
  }

  due(nowMs: number, limit: number): DeliveryRow[] {
    return this.sql
      .exec<DeliveryRow>(
        `SELECT * FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at_ms <= ?
         ORDER BY next_attempt_at_ms, rowid LIMIT ?`,
        nowMs,
        limit,
      )
      .toArray();
  }

  /** Counts the attempt and leases the delivery until `leaseUntilMs`, so a second caller skips it
   *  and a crash mid-attempt only delays it. */
  claim(id: string, leaseUntilMs: number): void {
    this.sql.exec(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at_ms = ? WHERE id = ?`,
      leaseUntilMs,
      id,
    );
  }

  /** Records one finished attempt and moves its delivery on (next time null once it is done). */
  record(attempt: AttemptRow, status: DeliveryStatus, nextAttemptAtMs: number | null): void {
    this.sql.exec(
      `INSERT INTO webhook_attempts (delivery_id, attempt, at_ms, status_code, error, duration_ms,
         outcome) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      attempt.delivery_id,
      attempt.attempt,
      attempt.at_ms,
      attempt.status_code,
      attempt.error,
      attempt.duration_ms,
      attempt.outcome,
    );
    this.sql.exec(
      "UPDATE webhook_deliveries SET status = ?, next_attempt_at_ms = ? WHERE id = ?",
      status,
      nextAttemptAtMs,
      attempt.delivery_id,
    );
  }

  nextDueAtMs(): number | null {
    const row = this.sql
      .exec<{ next: number | null }>(
        "SELECT MIN(next_attempt_at_ms) AS next FROM webhook_deliveries WHERE status = 'pending'",
      )
      .toArray()[0];
    return row?.next ?? null;
  }

  all(): { deliveries: DeliveryRow[]; attempts: AttemptRow[] } {
    return {
      deliveries: this.sql
        .exec<DeliveryRow>("SELECT * FROM webhook_deliveries ORDER BY created_at_ms, rowid")
        .toArray(),
      attempts: this.sql
        .exec<AttemptRow>("SELECT * FROM webhook_attempts ORDER BY delivery_id, attempt")
        .toArray(),
    };
  }
}
