// Remembers signatures for the signature window, so a captured signed request cannot be replayed.
import { SIGNATURE_WINDOW_S } from "../../protocol/signing";

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly windowMs = SIGNATURE_WINDOW_S * 2 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** True the first time a signature is presented within the window; false for a replay. */
  claim(signature: string): boolean {
    const now = this.now();
    this.evict(now);
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, now + this.windowMs);
    return true;
  }

  private evict(now: number) {
    // Map iteration is insertion order, and expiries are monotonic, so stop at the first live entry.
    for (const [id, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(id);
    }
  }
}
