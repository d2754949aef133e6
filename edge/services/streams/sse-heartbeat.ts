// Keeps a client's Server-Sent Events stream alive through silence: a comment after each stretch with no output.
/**
 * Proxies, load balancers and client libraries close a connection idle for 60–100 s; a batch job
 * can sit queued for many minutes without an event, so a stream sends a comment well inside that.
 */
export const SSE_HEARTBEAT_MS = 15_000;

/** A comment: every SSE parser skips it, so the events a client sees are unchanged. */
const KEEPALIVE = new TextEncoder().encode(": keepalive\n\n");

/** SSE_HEARTBEAT_MS unless the binding of that name sets another positive value (tests lower it). */
export function sseHeartbeatMs(env: { SSE_HEARTBEAT_MS?: string }): number {
  const ms = Number(env.SSE_HEARTBEAT_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : SSE_HEARTBEAT_MS;
}

/**
 * The writer of one event stream, with its heartbeat. Every write is one whole SSE message, so a
 * keepalive lands between two events, never inside one. The timer lives in the I/O context that
 * made the writer (a Durable Object's stream gets it from the object, not from a route relaying
 * it), and it stops for good once the stream is closed, aborted or its reader has gone away: no
 * timer outlives the stream and nothing is written after its end.
 */
export class HeartbeatWriter {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ended = false;

  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly intervalMs: number = SSE_HEARTBEAT_MS,
  ) {
    const end = () => this.stop();
    writer.closed.then(end, end);
    this.arm();
  }

  /** Settles when the stream ends; rejects when its reader went away first. */
  get closed(): Promise<void> {
    return this.writer.closed;
  }

  /** Writes one whole message; the silence starts over. */
  write(message: Uint8Array): Promise<void> {
    this.arm();
    return this.writer.write(message);
  }

  close(): Promise<void> {
    this.stop();
    return this.writer.close();
  }

  abort(reason?: unknown): Promise<void> {
    this.stop();
    return this.writer.abort(reason);
  }

  private stop(): void {
    this.ended = true;
    clearTimeout(this.timer);
  }

  private arm(): void {
    if (this.ended) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.write(KEEPALIVE).catch(() => this.stop());
    }, this.intervalMs);
  }
}
