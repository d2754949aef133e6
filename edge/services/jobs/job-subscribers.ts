// The open event streams of one job: the log's backlog first, then each new event pushed as it is appended.
import { formatSse } from "../../../protocol/events";
import { HeartbeatWriter, SSE_HEARTBEAT_MS } from "../streams/sse-heartbeat";
import type { StoredEvent } from "./job-store";

const encoder = new TextEncoder();

/** Tells a proxy that buffers until the first byte (and EventSource) that the stream is live. */
const OPENING = encoder.encode(": stream open\n\n");

/** Open event streams one job keeps; a reader past them is refused (429) until one closes. */
export const MAX_STREAMS_PER_JOB = 32;

const frame = (event: StoredEvent) =>
  encoder.encode(formatSse({ id: event.id, event: event.event, data: event.data }));

/**
 * Push, not poll: `publish` writes to every open stream at once. Writes are not awaited, so a slow
 * reader never holds the job back (its bytes queue in its own stream); a reader that has gone away
 * makes its write fail and is dropped. The caller reads the backlog and subscribes without an await
 * in between, so no event can fall between the two and none is sent twice. A live stream sends a
 * keepalive comment after each `heartbeatMs` without an event, until it closes or its reader leaves.
 */
export class JobSubscribers {
  private readonly open = new Set<HeartbeatWriter>();

  get size(): number {
    return this.open.size;
  }

  /** No room for another live reader (a finished job's backlog-only streams never count). */
  get full(): boolean {
    return this.open.size >= MAX_STREAMS_PER_JOB;
  }

  subscribe(
    backlog: readonly StoredEvent[],
    finished: boolean,
    heartbeatMs: number = SSE_HEARTBEAT_MS,
  ): ReadableStream<Uint8Array> {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = new HeartbeatWriter(writable.getWriter(), heartbeatMs);
    this.write(writer, OPENING);
    for (const event of backlog) this.write(writer, frame(event));
    if (finished) writer.close().catch(() => {});
    else {
      this.open.add(writer);
      // A reader that hangs up frees its place at once, not at the next event's failed write.
      writer.closed.catch(() => this.open.delete(writer));
    }
    return readable;
  }

  publish(event: StoredEvent, terminal: boolean): void {
    const bytes = frame(event);
    for (const writer of this.open) {
      this.write(writer, bytes);
      if (terminal) writer.close().catch(() => {});
    }
    if (terminal) this.open.clear();
  }

  private write(writer: HeartbeatWriter, bytes: Uint8Array): void {
    writer.write(bytes).catch(() => {
      this.open.delete(writer);
    });
  }
}
