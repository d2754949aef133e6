// TenantGate's pure core: GCRA on attempts, concurrency slots and quota holds over a plain state, clock injected.
import { assertAdmitRequest } from "./admit-request-guard";
import { billingPeriod } from "./billing-period";
import { gcraPeek, gcraRescale, gcraTake } from "./gcra";
import type {
  AdmitRejection,
  AdmitRequest,
  AdmitResult,
  RateLimitInfo,
  Reservation,
  TenantLimits,
  TenantUsage,
} from "./tenant-gate";

/** Settled and expired ids are remembered this long, so repeated settles and re-admits stay no-ops. */
export const TOMBSTONE_RETENTION_MS = 60 * 60_000;
/**
 * Tombstones past retention are dropped in batches, once the oldest is this far past it: one
 * SQLite DELETE a minute instead of one per request (each statement costs the DO ~0.1 ms here).
 * Lookups ignore a tombstone past retention whether or not it has been dropped yet.
 */
export const TOMBSTONE_PRUNE_BATCH_MS = 60_000;
/** A slot or held quota may free up within seconds: the next settle or lease expiry. */
const SOON_RETRY_SECONDS = 1;

export interface ClosedReservation extends Reservation {
  readonly status: "settled" | "expired";
  readonly chargedImages: number;
  readonly closedAtMs: number;
}

export interface GateState {
  /** GCRA theoretical arrival time. */
  tatUs: number;
  /** The per-minute limit `tatUs` was last computed under (0: none yet). */
  tatLimit: number;
  /** `YYYY-MM` of the counters below. */
  period: string;
  imagesUsed: number;
  unitsUsed: number;
  /** In flight: each holds one concurrency slot and `images` of quota. */
  readonly held: Map<string, Reservation>;
  /** Tombstones in closing order, pruned from the front. */
  readonly closed: Map<string, ClosedReservation>;
}

/** Told about every reservation change, so a store can write through (the DO's SQLite). */
export interface GateJournal {
  hold(reservation: Reservation): void;
  close(reservation: ClosedReservation): void;
  /** Drops every closed reservation that closed at or before `cutoffMs`. */
  forgetClosedBefore(cutoffMs: number): void;
}

export const NO_JOURNAL: GateJournal = { hold() {}, close() {}, forgetClosedBefore() {} };

/** The tombstone of `requestId`, unless there is none or it is past retention. */
export function tombstone(
  state: GateState,
  requestId: string,
  nowMs: number,
): ClosedReservation | undefined {
  const closed = state.closed.get(requestId);
  return closed && closed.closedAtMs + TOMBSTONE_RETENTION_MS > nowMs ? closed : undefined;
}

export function newGateState(nowMs: number): GateState {
  const period = billingPeriod(nowMs).key;
  return {
    tatUs: 0,
    tatLimit: 0,
    period,
    imagesUsed: 0,
    unitsUsed: 0,
    held: new Map(),
    closed: new Map(),
  };
}

export function admit(
  state: GateState,
  request: AdmitRequest,
  nowMs: number,
  journal: GateJournal = NO_JOURNAL,
): AdmitResult {
  assertAdmitRequest(request);
  housekeep(state, nowMs, journal);
  const limit = request.limits.rate_limit_per_minute;
  const nowUs = nowMs * 1000;
  if (limit > 0) {
    state.tatUs = gcraRescale(state.tatUs, nowUs, state.tatLimit, limit);
    state.tatLimit = limit;
  }
  const existing = state.held.get(request.requestId);
  // A retried call for the same attempt is not a new attempt: nothing is counted again.
  if (existing) {
    const rateLimit = { limit, ...gcraPeek(state.tatUs, nowUs, limit) };
    const slotsLeft = Math.max(0, request.limits.max_concurrency - state.held.size);
    return { ok: true, reservation: existing, replayed: true, rateLimit, slotsLeft };
  }
  if (tombstone(state, request.requestId, nowMs)) {
    return reject("duplicate_request", 0, { limit, ...gcraPeek(state.tatUs, nowUs, limit) });
  }
  const quota = request.limits.monthly_image_quota;
  if (quota > 0 && request.images > quota) {
    return reject("exceeds_quota", 0, { limit, ...gcraPeek(state.tatUs, nowUs, limit) });
  }
  const rate = gcraTake(state.tatUs, nowUs, limit);
  const rateLimit = { limit, remaining: rate.remaining, resetSeconds: rate.resetSeconds };
  // Rejected attempts do not advance the GCRA, or a client hammering at a 429 would never recover.
  if (!rate.allowed) return reject("rate_limit_exceeded", rate.retryAfterSeconds, rateLimit);
  state.tatUs = rate.tatUs; // From here the attempt counts, whatever rejects it below.
  if (state.held.size >= request.limits.max_concurrency) {
    return reject("concurrency_limit", SOON_RETRY_SECONDS, rateLimit);
  }
  const quotaWait = quotaWaitSeconds(state, request, nowMs);
  if (quotaWait !== null) return reject("insufficient_quota", quotaWait, rateLimit);
  const reservation: Reservation = {
    requestId: request.requestId,
    images: request.images,
    unitsPerImage: request.unitsPerImage,
    createdAtMs: nowMs,
    leaseUntilMs: nowMs + request.leaseMs,
  };
  state.held.set(reservation.requestId, reservation);
  journal.hold(reservation);
  const slotsLeft = Math.max(0, request.limits.max_concurrency - state.held.size);
  return { ok: true, reservation, replayed: false, rateLimit, slotsLeft };
}

export function usage(
  state: GateState,
  limits: TenantLimits,
  nowMs: number,
  journal: GateJournal = NO_JOURNAL,
): TenantUsage {
  housekeep(state, nowMs, journal);
  const period = billingPeriod(nowMs);
  return {
    period_start: new Date(period.startMs).toISOString(),
    period_end: new Date(period.endMs).toISOString(),
    images_used: state.imagesUsed,
    images_reserved: reservedImages(state),
    units_used: state.unitsUsed,
    monthly_image_quota: limits.monthly_image_quota,
    rate_limit_per_minute: limits.rate_limit_per_minute,
    max_concurrency: limits.max_concurrency,
    in_flight: state.held.size,
  };
}

/** Lazy upkeep before every decision: month rollover, lease expiry (full refund), tombstone pruning. */
export function housekeep(state: GateState, nowMs: number, journal: GateJournal): void {
  const period = billingPeriod(nowMs).key;
  // Forward only ("YYYY-MM" sorts by time): a clock a little behind, as on the machine a restarted
  // object lands on, must not take the tenant back into last month and then wipe this month's usage.
  if (period > state.period) {
    state.period = period;
    state.imagesUsed = 0;
    state.unitsUsed = 0;
  }
  for (const held of state.held.values()) {
    if (held.leaseUntilMs > nowMs) continue;
    state.held.delete(held.requestId);
    closeAs(state, { ...held, status: "expired", chargedImages: 0, closedAtMs: nowMs }, journal);
  }
  const cutoffMs = nowMs - TOMBSTONE_RETENTION_MS;
  const oldest = state.closed.values().next().value;
  if (!oldest || oldest.closedAtMs > cutoffMs - TOMBSTONE_PRUNE_BATCH_MS) return;
  for (const closed of state.closed.values()) {
    if (closed.closedAtMs > cutoffMs) break;
    state.closed.delete(closed.requestId);
  }
  journal.forgetClosedBefore(cutoffMs);
}

export function closeAs(state: GateState, closed: ClosedReservation, journal: GateJournal): void {
  state.closed.delete(closed.requestId); // re-insert at the end: the map stays in closing order
  state.closed.set(closed.requestId, closed);
  journal.close(closed);
}

function reservedImages(state: GateState): number {
  let images = 0;
  for (const held of state.held.values()) images += held.images;
  return images;
}

/** null when the hold fits; else when to retry: soon if held quota may be refunded, else next month. */
function quotaWaitSeconds(state: GateState, request: AdmitRequest, nowMs: number): number | null {
  const quota = request.limits.monthly_image_quota;
  if (state.imagesUsed + reservedImages(state) + request.images <= quota) return null;
  if (state.imagesUsed + request.images <= quota) return SOON_RETRY_SECONDS;
  return Math.ceil((billingPeriod(nowMs).endMs - nowMs) / 1000);
}

function reject(reason: AdmitRejection, retryAfterSeconds: number, rateLimit: RateLimitInfo) {
  return { ok: false, reason, retryAfterSeconds, rateLimit } as const;
}
