// Reads an origin's text/event-stream body as validated generation events, one at a time, as they arrive.
import { type GenerationEvent, parseGenerationEvent, parseSse } from "../../../protocol/events";

/**
 * An event as the origin sent it, with its SSE id (ids count up from 1 per run at the origin), or
 * the edge's own terminal event for a stream that broke off (`lost`: no id, and no word from the
 * origin about the run, which may go on there).
 */
export type StreamedEvent = GenerationEvent & { readonly id?: number; readonly lost?: true };

export type ReadResult =
  | { readonly kind: "event"; readonly event: StreamedEvent }
  /** The body ended cleanly with nothing more to read. */
  | { readonly kind: "end" }
  /** The connection broke, or the read was aborted; `error` says how. */
  | { readonly kind: "error"; readonly error: unknown };

/** Messages the edge does not know (or cannot validate) are skipped, never fatal: origins may add more. */
export class SseEventReader {
  private readonly reader: ReadableStreamDefaultReader<string>;
  private buffer = "";
  private readonly ready: StreamedEvent[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.reader = body.pipeThrough(new TextDecoderStream()).getReader();
  }

  async next(): Promise<ReadResult> {
    while (this.ready.length === 0) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await this.reader.read();
      } catch (error) {
        return { kind: "error", error };
      }
      if (chunk.done) return { kind: "end" };
      this.buffer += chunk.value;
      const { messages, rest } = parseSse(this.buffer);
      this.buffer = rest;
      for (const message of messages) {
        const event = parseGenerationEvent(message);
        if (!event) continue;
        this.ready.push(Number.isInteger(message.id) ? { ...event, id: message.id } : event);
      }
    }
    const event = this.ready.shift() as StreamedEvent;
    return { kind: "event", event };
  }

  /** Stops reading; the body's connection closes, which the origin sees as its client gone. */
  close(): void {
    this.reader.cancel().catch(() => {});
  }
}
