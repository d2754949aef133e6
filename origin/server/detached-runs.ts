// Streamed runs that outlive their stream: a reader may go away and come back (POST /internal/v1/attach).
//
// The edge runs a long job in a Durable Object alarm, which Workers end after 15 minutes; it hands
// the job over to its next alarm by closing the stream and attaching again. A request that asks for
// it (`detach_grace_ms`) keeps running while nobody reads, for that long each time; its events go
// into the relay's log. Past the grace with no reader the run is canceled (the edge is gone for
// good) and forgotten. A run whose terminal event was written to a reader keeps that event for
// DELIVERED_LINGER_MS (at most the grace): a written event is only buffered, and a reader cut off
// just then comes back for it.
import type { EventRelay } from "./event-relay";

interface DetachedRun {
  readonly relay: EventRelay;
  /** Cancels the run (at its next step boundary). */
  readonly abort: () => void;
  readonly graceMs: number;
  timer: ReturnType<typeof setTimeout> | null;
  /** Its terminal event was written to a reader. */
  delivered: boolean;
}

/** How long a delivered run's result is kept for a reader cut off as it was written. */
export const DELIVERED_LINGER_MS = 15_000;

export class DetachedRuns {
  private readonly runs = new Map<string, DetachedRun>();
  private emptied: (() => void) | null = null;

  /** `onSize` hears the number of runs held after each change (a metrics gauge). */
  constructor(private readonly onSize: (size: number) => void = () => {}) {}

  get size(): number {
    return this.runs.size;
  }

  /** Registers a run; a newer run with the same id replaces it (the old one is canceled). */
  add(requestId: string, relay: EventRelay, graceMs: number, abort: () => void): void {
    const known = this.runs.get(requestId);
    if (known) this.expire(requestId, known);
    this.runs.set(requestId, { relay, abort, graceMs, timer: null, delivered: false });
    this.onSize(this.runs.size);
  }

  get(requestId: string): EventRelay | null {
    return this.runs.get(requestId)?.relay ?? null;
  }

  /** Nobody reads `requestId` any more: it has its grace to come back. */
  detached(requestId: string, relay: EventRelay, graceMs?: number): void {
    const run = this.runs.get(requestId);
    if (!run || run.relay !== relay) return;
    if (run.timer) clearTimeout(run.timer);
    run.timer = setTimeout(() => this.expire(requestId, run), graceMs ?? run.graceMs);
  }

  /** A reader came back in time. */
  reattached(requestId: string): void {
    const run = this.runs.get(requestId);
    if (run?.timer) clearTimeout(run.timer);
    if (run) run.timer = null;
  }

  /** The terminal event was written to a reader: kept DELIVERED_LINGER_MS (at most the grace), then forgotten. */
  delivered(requestId: string, relay: EventRelay): void {
    const run = this.runs.get(requestId);
    if (!run || run.relay !== relay) return;
    run.delivered = true;
    this.detached(requestId, relay, Math.min(run.graceMs, DELIVERED_LINGER_MS));
    this.checkIdle();
  }

  /**
   * Resolves once every run left has been delivered (or forgotten, its grace run out): draining
   * waits for it, so a result that finished between two of the edge's alarms is handed over.
   */
  idle(): Promise<void> {
    if (this.allDelivered()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const before = this.emptied;
      this.emptied = () => {
        before?.();
        resolve();
      };
    });
  }

  private allDelivered(): boolean {
    for (const run of this.runs.values()) if (!run.delivered) return false;
    return true;
  }

  private checkIdle(): void {
    if (!this.emptied || !this.allDelivered()) return;
    const emptied = this.emptied;
    this.emptied = null;
    emptied();
  }

  private expire(requestId: string, run: DetachedRun): void {
    if (!run.relay.finished) run.abort();
    this.forget(requestId, run);
  }

  private forget(requestId: string, run: DetachedRun): void {
    if (run.timer) clearTimeout(run.timer);
    run.timer = null;
    if (this.runs.get(requestId) !== run) return;
    this.runs.delete(requestId);
    this.onSize(this.runs.size);
    this.checkIdle();
  }
}
