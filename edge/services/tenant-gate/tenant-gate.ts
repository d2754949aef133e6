// The TenantGate contract: per-tenant admission (rate limit, concurrency slots, quota hold), settlement, usage.

/** Limits from the tenant row, passed on every call so a PATCH applies to the very next request. */
export interface TenantLimits {
  readonly rate_limit_per_minute: number;
  readonly max_concurrency: number;
  readonly monthly_image_quota: number;
}

export interface AdmitRequest {
  /** The edge's own id for this request: unique, never a client-supplied header taken verbatim. */
  readonly requestId: string;
  /** Images asked for (`n`): what the quota holds. */
  readonly images: number;
  /** Cost units of one image (`costUnitsPerImage` in cost.ts), recorded alongside for billing. */
  readonly unitsPerImage: number;
  /** How long the slot and the hold live unsettled: the request's deadline plus a margin. */
  readonly leaseMs: number;
  readonly limits: TenantLimits;
}

export interface Reservation {
  readonly requestId: string;
  readonly images: number;
  readonly unitsPerImage: number;
  readonly createdAtMs: number;
  readonly leaseUntilMs: number;
}

/** What the edge turns into `RateLimit-*` headers (see rate-limit-headers.ts). */
export interface RateLimitInfo {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the limiter is fully replenished. */
  readonly resetSeconds: number;
}

/**
 * `duplicate_request`: the id was already settled (or expired) here; the edge answers 409 and never
 * dispatches it again.
 */
export type AdmitRejection =
  | "rate_limit_exceeded"
  | "concurrency_limit"
  | "insufficient_quota"
  /** More images than the whole monthly quota: no wait would help, so no attempt is counted. */
  | "exceeds_quota"
  | "duplicate_request";

export type AdmitResult =
  | {
      readonly ok: true;
      readonly reservation: Reservation;
      /** True when this id already held a reservation: the same hold comes back, nothing new counted. */
      readonly replayed: boolean;
      readonly rateLimit: RateLimitInfo;
      /** Concurrency slots still free with this one taken: a settlement may wait only with room. */
      readonly slotsLeft: number;
    }
  | {
      readonly ok: false;
      readonly reason: AdmitRejection;
      readonly retryAfterSeconds: number;
      readonly rateLimit: RateLimitInfo;
    };

export interface SettlementOutcome {
  readonly chargedImages: number;
  readonly refundedImages: number;
  readonly chargedUnits: number;
}

/** `settled`: this call charged it; `already_settled`: a no-op repeat; `unknown`: never held here. */
export type SettleResult =
  | ({ readonly status: "settled" | "already_settled" } & SettlementOutcome)
  | { readonly status: "unknown" };

/** The numbers behind `GET /v1/usage`, for the current UTC calendar month. */
export interface TenantUsage {
  readonly period_start: string;
  /** Exclusive: the first instant of the next month. */
  readonly period_end: string;
  /** Delivered images charged this period. */
  readonly images_used: number;
  /** Images held by unsettled, unexpired reservations. */
  readonly images_reserved: number;
  readonly units_used: number;
  readonly monthly_image_quota: number;
  readonly rate_limit_per_minute: number;
  readonly max_concurrency: number;
  readonly in_flight: number;
}

/**
 * A settlement sent to the gate but not yet acknowledged, carried ahead of a later call (see
 * durable-tenant-gate.ts). Applying one twice is harmless: settling is idempotent by request id.
 */
export interface CarriedSettlement {
  readonly requestId: string;
  readonly deliveredImages: number;
}

/** What the gate did with one carried settlement, returned beside the answer of the call that carried it. */
export interface CarriedOutcome {
  readonly requestId: string;
  readonly result: SettleResult;
}

/** A gate call's answer with the outcomes of the settlements it carried (the object's RPC shape). */
export type Carrying<T> = T & { readonly carried?: readonly CarriedOutcome[] };

/**
 * How long a settlement made after the answer may wait for a later call to the same gate to carry
 * it (durable-tenant-gate.ts). Under steady traffic the next admit does, and the settlement costs
 * no call of its own: one Durable Object request per generation instead of two. A quiet tenant's
 * settlement goes out on its own this much later, which is when other isolates see its slot free.
 */
export const SETTLE_DEFER_MS = 100;

export interface SettleOptions {
  /** Wait up to this long for a later call to carry the settlement before sending it alone. */
  readonly deferMs?: number;
}

export interface TenantGateService {
  /** Counts the attempt, takes a slot and holds `images` of quota; a rejection is a value. */
  admit(tenantId: string, request: AdmitRequest): Promise<AdmitResult>;
  /** Charges what was delivered, refunds the rest; `deliveredImages = 0` is a full refund. */
  settle(
    tenantId: string,
    requestId: string,
    deliveredImages: number,
    options?: SettleOptions,
  ): Promise<SettleResult>;
  usage(tenantId: string, limits: TenantLimits): Promise<TenantUsage>;
}

/**
 * Admits, and when the call fails (an answer lost after the gate committed the hold, say) releases
 * the hold before rethrowing: otherwise its slot and quota stay held until the lease ends, which at
 * max_concurrency 1 refuses the tenant for the whole deadline. Settling an id the gate never
 * admitted is a no-op, so the release is safe either way.
 */
export async function admitOrRelease(
  gate: TenantGateService,
  tenantId: string,
  request: AdmitRequest,
): Promise<AdmitResult> {
  try {
    return await gate.admit(tenantId, request);
  } catch (error) {
    await gate.settle(tenantId, request.requestId, 0).catch(() => {});
    throw error;
  }
}

/**
 * Whether a settlement may wait for this isolate's next gate call (SETTLE_DEFER_MS). Only with at
 * least half the tenant's slots free: a tenant working near max_concurrency has its next request
 * land on another isolate as often as not, and a slot still held there would refuse it.
 */
export function mayDeferSettlement(slotsLeft: number, maxConcurrency: number): boolean {
  return slotsLeft * 2 >= maxConcurrency;
}
