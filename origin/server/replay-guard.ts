// Remembers signatures for the signature window, so a captured signed request cannot be replayed.
import { SIGNATURE_WINDOW_S } from "../../protocol/signing";

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = SIGNATURE_WINDOW_S * 2 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * True the first time a signature is presented within the window; false for a replay. It is
   * remembered for as long as its signed timestamp (seconds) keeps it valid: a timestamp up to a
   * window ahead of this clock stays acceptable until (timestamp + window + 1) s.
   */
  claim(signature: string, timestampS?: number): boolean {
    const now = this.now();
    this.evict(now);
    if (this.seen.has(signature)) return false;
    const validUntil = timestampS === undefined ? 0 : (timestampS + SIGNATURE_WINDOW_S + 1) * 1000;
    this.seen.set(signature, Math.max(now + this.windowMs, validUntil));
    return true;
  }

  private evict(now: number) {
    // Map iteration is insertion order and expiries nearly monotonic (a future-dated timestamp can
    // outlive later entries): stopping at the first live entry never drops a live one early.
    for (const [id, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(id);
    }
  }
}
