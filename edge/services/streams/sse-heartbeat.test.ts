// HeartbeatWriter: a keepalive comment after each stretch of silence, none once the stream has ended.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HeartbeatWriter, SSE_HEARTBEAT_MS, sseHeartbeatMs } from "./sse-heartbeat";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const KEEPALIVE = ": keepalive\n\n";

/** A writer with its heartbeat, and everything its reader has received so far. */
function heartbeatStream(intervalMs: number) {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = new HeartbeatWriter(writable.getWriter(), intervalMs);
  const reader = readable.pipeThrough(new TextDecoderStream()).getReader();
  const received = { text: "", done: false };
  const reading = (async () => {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) break;
      received.text += chunk.value;
    }
    received.done = true;
  })();
  return { writer, reader, received, reading };
}

const message = (text: string) => new TextEncoder().encode(text);

describe("HeartbeatWriter", () => {
  it("sends a keepalive after each interval of silence, and none sooner", async () => {
    const { writer, received } = heartbeatStream(1_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(received.text).toBe("");
    await vi.advanceTimersByTimeAsync(1);
    expect(received.text).toBe(KEEPALIVE);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(received.text).toBe(KEEPALIVE.repeat(3));
    await writer.close();
  });

  it("counts the silence from the last message, which goes out whole", async () => {
    const { writer, received } = heartbeatStream(1_000);
    await vi.advanceTimersByTimeAsync(800);
    await writer.write(message("id: 1\nevent: queued\ndata: {}\n\n"));
    await vi.advanceTimersByTimeAsync(800);
    expect(received.text).toBe("id: 1\nevent: queued\ndata: {}\n\n");
    await vi.advanceTimersByTimeAsync(200);
    expect(received.text).toBe(`id: 1\nevent: queued\ndata: {}\n\n${KEEPALIVE}`);
    await writer.close();
  });

  it("stops with the stream it keeps alive: no timer left, nothing written after the close", async () => {
    const { writer, received, reading } = heartbeatStream(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await writer.close();
    await reading;
    expect(received).toEqual({ text: KEEPALIVE, done: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops when its reader goes away, with no rejection left unhandled", async () => {
    const { reader } = heartbeatStream(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await reader.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops when the stream is aborted", async () => {
    const { writer } = heartbeatStream(1_000);
    await writer.abort(new Error("upstream failed"));
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("sseHeartbeatMs", () => {
  it("is 15 s unless the binding sets a positive number of milliseconds", () => {
    expect(SSE_HEARTBEAT_MS).toBe(15_000);
    expect(sseHeartbeatMs({})).toBe(15_000);
    expect(sseHeartbeatMs({ SSE_HEARTBEAT_MS: "25" })).toBe(25);
    for (const bad of ["", "0", "-5", "soon"]) {
      expect(sseHeartbeatMs({ SSE_HEARTBEAT_MS: bad })).toBe(15_000);
    }
  });
});
