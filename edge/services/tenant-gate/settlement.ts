// Settling a held reservation: charge the images delivered, refund the rest, idempotent by request id.
import {
  type ClosedReservation,
  closeAs,
  type GateJournal,
  type GateState,
  housekeep,
  NO_JOURNAL,
  tombstone,
} from "./gate-state";
import type { Reservation, SettlementOutcome, SettleResult } from "./tenant-gate";

export function settle(
  state: GateState,
  requestId: string,
  deliveredImages: number,
  nowMs: number,
  journal: GateJournal = NO_JOURNAL,
): SettleResult {
  if (!Number.isInteger(deliveredImages) || deliveredImages < 0) {
    throw new RangeError(`deliveredImages must be a non-negative integer, got ${deliveredImages}`);
  }
  housekeep(state, nowMs, journal);
  const held = state.held.get(requestId);
  if (held) {
    state.held.delete(requestId);
    return charge(state, held, deliveredImages, nowMs, journal);
  }
  const closed = tombstone(state, requestId, nowMs);
  if (!closed) return { status: "unknown" };
  // The lease ran out first and refunded everything, yet images were delivered: charge them now.
  if (closed.status === "expired") return charge(state, closed, deliveredImages, nowMs, journal);
  return { status: "already_settled", ...outcome(closed) };
}

/** Delivered images count in the period they were delivered in, even for a hold made last month. */
function charge(
  state: GateState,
  reservation: Reservation,
  deliveredImages: number,
  nowMs: number,
  journal: GateJournal,
): SettleResult {
  const chargedImages = Math.min(deliveredImages, reservation.images);
  state.imagesUsed += chargedImages;
  state.unitsUsed += chargedImages * reservation.unitsPerImage;
  const closed: ClosedReservation = {
    requestId: reservation.requestId,
    images: reservation.images,
    unitsPerImage: reservation.unitsPerImage,
    createdAtMs: reservation.createdAtMs,
    leaseUntilMs: reservation.leaseUntilMs,
    status: "settled",
    chargedImages,
    closedAtMs: nowMs,
  };
  closeAs(state, closed, journal);
  return { status: "settled", ...outcome(closed) };
}

function outcome(closed: ClosedReservation): SettlementOutcome {
  return {
    chargedImages: closed.chargedImages,
    refundedImages: closed.images - closed.chargedImages,
    chargedUnits: closed.chargedImages * closed.unitsPerImage,
  };
}
