// SQLite persistence of a GateState inside the TenantGate Durable Object: schema, load, write-through journal.
import {
  type ClosedReservation,
  type GateJournal,
  type GateState,
  newGateState,
} from "./gate-state";
import type { Reservation } from "./tenant-gate";

// Additive changes only (new tables, new nullable columns): these statements run on every start.
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS gate_meta (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     tat_us INTEGER NOT NULL,
     tat_limit INTEGER NOT NULL,
     period TEXT NOT NULL,
     images_used INTEGER NOT NULL,
     units_used INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS reservations (
     request_id TEXT PRIMARY KEY,
     status TEXT NOT NULL CHECK (status IN ('held', 'settled', 'expired')),
     images INTEGER NOT NULL,
     units_per_image INTEGER NOT NULL,
     created_at_ms INTEGER NOT NULL,
     lease_until_ms INTEGER NOT NULL,
     charged_images INTEGER NOT NULL,
     closed_at_ms INTEGER)`,
  // Tombstones are dropped by closing time, a batch at a time (gate-state.ts).
  "CREATE INDEX IF NOT EXISTS reservations_by_closed_at ON reservations (closed_at_ms)",
];

type MetaRow = {
  tat_us: number;
  tat_limit: number;
  period: string;
  images_used: number;
  units_used: number;
};
type ReservationRow = {
  request_id: string;
  status: string;
  images: number;
  units_per_image: number;
  created_at_ms: number;
  lease_until_ms: number;
  charged_images: number;
  closed_at_ms: number | null;
};

// Upserts update in place; INSERT OR REPLACE would delete and re-insert the row and its key, twice
// per generation (hold, then close) on the hottest object.
const UPSERT = `INSERT INTO reservations (request_id, status, images, units_per_image,
  created_at_ms, lease_until_ms, charged_images, closed_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (request_id) DO UPDATE SET status = excluded.status, images = excluded.images,
  units_per_image = excluded.units_per_image, created_at_ms = excluded.created_at_ms,
  lease_until_ms = excluded.lease_until_ms, charged_images = excluded.charged_images,
  closed_at_ms = excluded.closed_at_ms`;
const SAVE_META = `INSERT INTO gate_meta (id, tat_us, tat_limit, period, images_used, units_used)
  VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET tat_us = excluded.tat_us,
  tat_limit = excluded.tat_limit, period = excluded.period, images_used = excluded.images_used,
  units_used = excluded.units_used`;

export class SqlGateStore implements GateJournal {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of SCHEMA) sql.exec(statement);
  }

  load(nowMs: number): GateState {
    const state = newGateState(nowMs);
    const meta = this.sql.exec<MetaRow>("SELECT * FROM gate_meta WHERE id = 1").toArray()[0];
    if (meta) {
      state.tatUs = meta.tat_us;
      state.tatLimit = meta.tat_limit;
      state.period = meta.period;
      state.imagesUsed = meta.images_used;
      state.unitsUsed = meta.units_used;
    }
    const rows = this.sql.exec<ReservationRow>(
      "SELECT * FROM reservations ORDER BY closed_at_ms, request_id",
    );
    for (const row of rows) {
      const reservation: Reservation = {
        requestId: row.request_id,
        images: row.images,
        unitsPerImage: row.units_per_image,
        createdAtMs: row.created_at_ms,
        leaseUntilMs: row.lease_until_ms,
      };
      if (row.status === "held" || row.closed_at_ms === null) {
        state.held.set(reservation.requestId, reservation);
        continue;
      }
      const status: ClosedReservation["status"] = row.status === "settled" ? "settled" : "expired";
      const closedAtMs = row.closed_at_ms;
      const closed = { ...reservation, status, chargedImages: row.charged_images, closedAtMs };
      state.closed.set(reservation.requestId, closed);
    }
    return state;
  }

  saveMeta(state: GateState): void {
    this.sql.exec(
      SAVE_META,
      state.tatUs,
      state.tatLimit,
      state.period,
      state.imagesUsed,
      state.unitsUsed,
    );
  }

  hold(r: Reservation): void {
    this.sql.exec(
      UPSERT,
      r.requestId,
      "held",
      r.images,
      r.unitsPerImage,
      r.createdAtMs,
      r.leaseUntilMs,
      0,
      null,
    );
  }

  close(r: ClosedReservation): void {
    this.sql.exec(
      UPSERT,
      r.requestId,
      r.status,
      r.images,
      r.unitsPerImage,
      r.createdAtMs,
      r.leaseUntilMs,
      r.chargedImages,
      r.closedAtMs,
    );
  }

  forgetClosedBefore(cutoffMs: number): void {
    this.sql.exec("DELETE FROM reservations WHERE closed_at_ms <= ?", cutoffMs);
  }
}
