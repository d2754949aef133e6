// SQLite persistence of the RegionBoard: one row per origin with its last probe and its circuit breaker.
import type { LoadReport } from "../../../protocol/load";
import { type BreakerEntry, closedBreaker } from "./breaker";

/** What the board knows of one origin; plain data, so it crosses RPC to every isolate as is. */
export interface OriginHealth {
  readonly region: string;
  /** From the last probe's /readyz (and load report); null until probed. */
  readonly ready: boolean | null;
  readonly load: LoadReport | null;
  readonly lastProbeAt: number | null;
  readonly breaker: BreakerEntry;
}

export const unknownHealth = (region: string, now: number): OriginHealth => ({
  region,
  ready: null,
  load: null,
  lastProbeAt: null,
  breaker: closedBreaker(now),
});

// Additive changes only (new tables, new nullable columns): these statements run on every start.
const SCHEMA = `CREATE TABLE IF NOT EXISTS origin_health (
  region TEXT PRIMARY KEY,
  ready INTEGER,
  load TEXT,
  last_probe_at INTEGER,
  breaker_state TEXT NOT NULL CHECK (breaker_state IN ('closed', 'open')),
  consecutive_failures INTEGER NOT NULL,
  opened_at INTEGER,
  trial_until INTEGER,
  window_start INTEGER NOT NULL,
  window_total INTEGER NOT NULL,
  window_failures INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  success_started_at INTEGER)`;
/** Columns added after the table's first version: added on the first start of an older table. */
const ADDED_COLUMNS = [["success_started_at", "INTEGER"]] as const;

type Row = {
  region: string;
  ready: number | null;
  load: string | null;
  last_probe_at: number | null;
  breaker_state: "closed" | "open";
  consecutive_failures: number;
  opened_at: number | null;
  trial_until: number | null;
  window_start: number;
  window_total: number;
  window_failures: number;
  updated_at: number;
  success_started_at: number | null;
};

const UPSERT = `INSERT INTO origin_health (region, ready, load, last_probe_at, breaker_state,
  consecutive_failures, opened_at, trial_until, window_start, window_total, window_failures, updated_at,
  success_started_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (region) DO UPDATE SET ready = excluded.ready, load = excluded.load,
  last_probe_at = excluded.last_probe_at, breaker_state = excluded.breaker_state,
  consecutive_failures = excluded.consecutive_failures, opened_at = excluded.opened_at,
  trial_until = excluded.trial_until, window_start = excluded.window_start,
  window_total = excluded.window_total, window_failures = excluded.window_failures,
  updated_at = excluded.updated_at, success_started_at = excluded.success_started_at`;

export class BoardStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    const columns = new Set(
      sql
        .exec<{ name: string }>("PRAGMA table_info(origin_health)")
        .toArray()
        .map((c) => c.name),
    );
    for (const [name, type] of ADDED_COLUMNS) {
      if (!columns.has(name)) sql.exec(`ALTER TABLE origin_health ADD COLUMN ${name} ${type}`);
    }
  }

  load(): Map<string, OriginHealth> {
    const byRegion = new Map<string, OriginHealth>();
    for (const row of this.sql.exec<Row>("SELECT * FROM origin_health ORDER BY region")) {
      byRegion.set(row.region, fromRow(row));
    }
    return byRegion;
  }

  save(h: OriginHealth): void {
    const b = h.breaker;
    this.sql.exec(
      UPSERT,
      h.region,
      h.ready === null ? null : h.ready ? 1 : 0,
      h.load === null ? null : JSON.stringify(h.load),
      h.lastProbeAt,
      b.state,
      b.consecutiveFailures,
      b.openedAt,
      b.trialUntil,
      b.windowStart,
      b.windowTotal,
      b.windowFailures,
      b.updatedAt,
      b.successStartedAt,
    );
  }

  forget(region: string): void {
    this.sql.exec("DELETE FROM origin_health WHERE region = ?", region);
  }
}

function fromRow(row: Row): OriginHealth {
  return {
    region: row.region,
    ready: row.ready === null ? null : row.ready === 1,
    load: row.load === null ? null : (JSON.parse(row.load) as LoadReport),
    lastProbeAt: row.last_probe_at,
    breaker: {
      state: row.breaker_state,
      consecutiveFailures: row.consecutive_failures,
      openedAt: row.opened_at,
      trialUntil: row.trial_until,
      windowStart: row.window_start,
      windowTotal: row.window_total,
      windowFailures: row.window_failures,
      updatedAt: row.updated_at,
      successStartedAt: row.success_started_at,
    },
  };
}
