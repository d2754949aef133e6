// A GenerationJob's SQLite tables: the one job row and its append-only event log (ids are the SSE ids).
import type { JobError, JobEvent, JobResult, JobSpec, JobStatus } from "./job-spec";

type SqlValue = string | number | null;

/** The part of `ctx.storage.sql` used here; synchronous, so a read and an append never interleave. */
export interface JobSql {
  exec<T extends Record<string, SqlValue>>(
    query: string,
    ...bindings: SqlValue[]
  ): { toArray(): T[] };
}

// Additive changes only (new tables, new nullable columns): these run on every start of the object.
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS job (
     id TEXT PRIMARY KEY,
     tenant_id TEXT NOT NULL,
     spec TEXT NOT NULL,
     status TEXT NOT NULL,
     region TEXT,
     origin_url TEXT,
     step INTEGER,
     steps INTEGER,
     result TEXT,
     error TEXT,
     created_at_ms INTEGER NOT NULL,
     started_at_ms INTEGER,
     finished_at_ms INTEGER,
     expires_at_ms INTEGER)`,
  `CREATE TABLE IF NOT EXISTS job_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     event TEXT NOT NULL,
     data TEXT NOT NULL)`,
];

const PENDING_SETTLEMENT_TABLE = `CREATE TABLE IF NOT EXISTS pending_settlement (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  delivered INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_at_ms INTEGER NOT NULL)`;

/** The last SSE id taken from the origin's stream of the current run: where an attach resumes. */
const ORIGIN_CURSOR_TABLE = `CREATE TABLE IF NOT EXISTS origin_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_id INTEGER NOT NULL)`;

export interface PendingSettlement {
  readonly delivered: number;
  readonly attempts: number;
  readonly nextAtMs: number;
}

type JobRowSql = {
  id: string;
  tenant_id: string;
  spec: string;
  status: string;
  region: string | null;
  origin_url: string | null;
  step: number | null;
  steps: number | null;
  result: string | null;
  error: string | null;
  created_at_ms: number;
  started_at_ms: number | null;
  finished_at_ms: number | null;
  expires_at_ms: number | null;
};

export interface JobRow {
  readonly spec: JobSpec;
  readonly status: JobStatus;
  readonly region: string | null;
  readonly originUrl: string | null;
  readonly step: number | null;
  readonly steps: number | null;
  readonly result: JobResult | null;
  readonly error: JobError | null;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
  readonly expiresAtMs: number | null;
}

export interface StoredEvent {
  readonly id: number;
  readonly event: string;
  readonly data: string;
}

const parse = <T>(text: string | null): T | null =>
  text === null ? null : (JSON.parse(text) as T);

/**
 * Tables are created by `insert` only: reading an id that was never a job (or whose record expired
 * and was deleted) must not leave storage behind in the object it addressed.
 */
export class JobStore {
  private hasTables: boolean | null = null;
  private hasCursorTable = false;

  constructor(private readonly sql: JobSql) {}

  private tablesExist(): boolean {
    this.hasTables ??=
      this.sql
        .exec<{ name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'job'",
        )
        .toArray().length > 0;
    return this.hasTables;
  }

  /** After `ctx.storage.deleteAll()`: the tables are gone. */
  forget(): void {
    this.hasTables = false;
    this.hasCursorTable = false;
  }

  load(): JobRow | null {
    if (!this.tablesExist()) return null;
    const row = this.sql.exec<JobRowSql>("SELECT * FROM job LIMIT 1").toArray()[0];
    if (!row) return null;
    return {
      spec: JSON.parse(row.spec) as JobSpec,
      status: row.status as JobStatus,
      region: row.region,
      originUrl: row.origin_url,
      step: row.step,
      steps: row.steps,
      result: parse<JobResult>(row.result),
      error: parse<JobError>(row.error),
      startedAtMs: row.started_at_ms,
      finishedAtMs: row.finished_at_ms,
      expiresAtMs: row.expires_at_ms,
    };
  }

  insert(spec: JobSpec): void {
    for (const statement of SCHEMA) this.sql.exec(statement);
    this.hasTables = true;
    this.sql.exec(
      "INSERT INTO job (id, tenant_id, spec, status, created_at_ms) VALUES (?, ?, ?, 'queued', ?)",
      spec.jobId,
      spec.tenantId,
      JSON.stringify(spec),
      spec.createdAtMs,
    );
  }

  /** The origin that took the job: where its events come from and where a cancel goes. */
  dispatched(region: string, originUrl: string): void {
    this.sql.exec("UPDATE job SET region = ?, origin_url = ?", region, originUrl);
    // Its stream's ids start from 1.
    this.cursorTable();
    this.sql.exec("DELETE FROM origin_cursor");
  }

  /** The SSE id of the last event taken from the origin's stream (0: none yet). */
  originCursor(): number {
    this.cursorTable();
    const [row] = this.sql.exec<{ last_id: number }>("SELECT last_id FROM origin_cursor").toArray();
    return row?.last_id ?? 0;
  }

  originEventTaken(id: number): void {
    this.cursorTable();
    this.sql.exec("INSERT OR REPLACE INTO origin_cursor (id, last_id) VALUES (1, ?)", id);
  }

  /** Its own table, so objects created before it have it too. */
  private cursorTable(): void {
    if (this.hasCursorTable) return;
    this.sql.exec(ORIGIN_CURSOR_TABLE);
    this.hasCursorTable = true;
  }

  started(atMs: number): void {
    this.sql.exec("UPDATE job SET status = 'running', started_at_ms = ?", atMs);
  }

  progressed(step: number, steps: number): void {
    this.sql.exec("UPDATE job SET step = ?, steps = ?", step, steps);
  }

  finished(
    outcome: { status: JobStatus; result?: JobResult; error?: JobError },
    atMs: number,
    expiresAtMs: number,
    spec: JobSpec,
  ): void {
    this.sql.exec(
      "UPDATE job SET status = ?, result = ?, error = ?, finished_at_ms = ?, expires_at_ms = ?, spec = ?",
      outcome.status,
      outcome.result ? JSON.stringify(outcome.result) : null,
      outcome.error ? JSON.stringify(outcome.error) : null,
      atMs,
      expiresAtMs,
      JSON.stringify(spec),
    );
  }

  /** A settlement the gate did not take: kept (in its own table, for objects older than it) until
   *  the alarm gets it through. */
  settlementPending(delivered: number, nextAtMs: number): void {
    this.sql.exec(PENDING_SETTLEMENT_TABLE);
    this.sql.exec(
      "INSERT OR REPLACE INTO pending_settlement (id, delivered, attempts, next_at_ms) VALUES (1, ?, 1, ?)",
      delivered,
      nextAtMs,
    );
  }

  pendingSettlement(): PendingSettlement | null {
    this.sql.exec(PENDING_SETTLEMENT_TABLE);
    const [row] = this.sql
      .exec<{ delivered: number; attempts: number; next_at_ms: number }>(
        "SELECT delivered, attempts, next_at_ms FROM pending_settlement",
      )
      .toArray();
    return row
      ? { delivered: row.delivered, attempts: row.attempts, nextAtMs: row.next_at_ms }
      : null;
  }

  settlementRetried(nextAtMs: number): void {
    this.sql.exec(
      "UPDATE pending_settlement SET attempts = attempts + 1, next_at_ms = ?",
      nextAtMs,
    );
  }

  settlementDone(): void {
    this.sql.exec("DELETE FROM pending_settlement");
  }

  append(event: JobEvent): StoredEvent {
    const data = JSON.stringify(event.data);
    const [row] = this.sql
      .exec<{ id: number }>(
        "INSERT INTO job_events (event, data) VALUES (?, ?) RETURNING id",
        event.event,
        data,
      )
      .toArray();
    return { id: row?.id ?? 0, event: event.event, data };
  }

  eventsAfter(afterId: number): StoredEvent[] {
    return this.sql
      .exec<{ id: number; event: string; data: string }>(
        "SELECT id, event, data FROM job_events WHERE id > ? ORDER BY id",
        afterId,
      )
      .toArray();
  }

  lastEventId(): number {
    const [row] = this.sql
      .exec<{ id: number | null }>("SELECT max(id) AS id FROM job_events")
      .toArray();
    return row?.id ?? 0;
  }
}
