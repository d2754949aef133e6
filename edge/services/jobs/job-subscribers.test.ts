// JobSubscribers: each live stream gets the backlog, then every event, with keepalives through the silences.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseSse } from "../../../protocol/events";
import { JobSubscribers } from "./job-subscribers";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const INTERVAL_MS = 1_000;
const KEEPALIVE = ": keepalive\n\n";

const stored = (id: number, event: string) => ({ id, event, data: JSON.stringify({ id }) });

/** Reads a stream in the background; `received` fills as its bytes arrive. */
function follow(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  const received = { text: "", done: false };
  const reading = (async () => {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      received.text += chunk.value;
    }
    received.done = true;
  })();
  return { reader, received, reading };
}

const keepalives = (text: string) => text.split(KEEPALIVE).length - 1;

describe("JobSubscribers", () => {
  it("keeps a silent job's stream alive between events, and stops when the job ends", async () => {
    const subscribers = new JobSubscribers();
    const live = follow(subscribers.subscribe([stored(1, "queued")], false, INTERVAL_MS));
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 2);
    expect(keepalives(live.received.text)).toBe(2);
    subscribers.publish(stored(2, "started"), false);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS - 1);
    expect(keepalives(live.received.text)).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(keepalives(live.received.text)).toBe(3);

    subscribers.publish(stored(3, "completed"), true);
    await live.reading;
    expect(vi.getTimerCount()).toBe(0);
    const text = live.received.text;
    expect(parseSse(text).messages.map((m) => [m.id, m.event])).toEqual([
      [1, "queued"],
      [2, "started"],
      [3, "completed"],
    ]);
    // Each keepalive is a message of its own, never inside an event's bytes.
    for (const block of text.split("\n\n").slice(0, -1)) {
      if (block.startsWith(":")) expect(block).toMatch(/^: (stream open|keepalive)$/);
      else expect(block).not.toMatch(/^:/m);
    }
  });

  it("sends a finished job's log and closes at once, with no heartbeat left behind", async () => {
    const subscribers = new JobSubscribers();
    const done = follow(
      subscribers.subscribe([stored(1, "queued"), stored(2, "canceled")], true, INTERVAL_MS),
    );
    await done.reading;
    expect(parseSse(done.received.text).messages).toHaveLength(2);
    expect(keepalives(done.received.text)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops a stream's heartbeat when its reader hangs up, and frees its place", async () => {
    const subscribers = new JobSubscribers();
    const gone = follow(subscribers.subscribe([], false, INTERVAL_MS));
    const staying = follow(subscribers.subscribe([], false, INTERVAL_MS));
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    await gone.reader.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(subscribers.size).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(keepalives(staying.received.text)).toBe(2);
    subscribers.publish(stored(1, "canceled"), true);
    await staying.reading;
    expect(vi.getTimerCount()).toBe(0);
  });
});
