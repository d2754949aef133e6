// Audit group commit: records finishing together share one write, carried by the request that opened the batch.
import { describe, expect, it } from "vitest";
import { AUDIT_BATCH_WINDOW_MS, AUDIT_BUSY_WINDOW_MS, AuditBatcher } from "./audit-batcher";

/** A batcher whose windows close when the test says so, with every write and waitUntil recorded. */
function harness(maxBatch = 50) {
  const windows: Array<() => void> = [];
  /** The window each batch asked for, in the order batches opened. */
  const waits: number[] = [];
  const batcher = new AuditBatcher<string>((ms) => {
    waits.push(ms);
    return new Promise<void>((resolve) => windows.push(resolve));
  }, maxBatch);
  const writes: string[][] = [];
  const write = async (records: readonly string[]) => {
    writes.push([...records]);
  };
  const carried: Record<string, number> = {};
  const pending: Promise<unknown>[] = [];
  const request = (name: string) => (promise: Promise<unknown>) => {
    carried[name] = (carried[name] ?? 0) + 1;
    pending.push(promise);
  };
  const closeWindows = async () => {
    for (const close of windows.splice(0)) close();
    await Promise.all(pending.splice(0));
  };
  return { batcher, writes, write, carried, request, closeWindows, waits };
}

const D1 = {};

describe("audit batcher", () => {
  it("writes records that arrive within the window once, through the first request's waitUntil", async () => {
    const h = harness();
    for (const name of ["a", "b", "c"]) h.batcher.add(name, D1, h.write, h.request(name));
    expect(h.writes).toEqual([]);
    await h.closeWindows();
    expect(h.writes).toEqual([["a", "b", "c"]]);
    expect(h.carried).toEqual({ a: 1 });
  });

  it("opens a new batch once the previous one has started writing", async () => {
    const h = harness();
    h.batcher.add("a", D1, h.write, h.request("a"));
    await h.closeWindows();
    h.batcher.add("b", D1, h.write, h.request("b"));
    await h.closeWindows();
    expect(h.writes).toEqual([["a"], ["b"]]);
    expect(h.carried).toEqual({ a: 1, b: 1 });
  });

  it("closes a full batch at once, so the next record gets an owner of its own", async () => {
    const h = harness(2);
    for (const name of ["a", "b", "c"]) h.batcher.add(name, D1, h.write, h.request(name));
    await h.closeWindows();
    expect(h.writes).toEqual([["a", "b"], ["c"]]);
    expect(h.carried).toEqual({ a: 1, c: 1 });
  });

  it("never mixes records bound for different databases", async () => {
    const h = harness();
    const other = {};
    h.batcher.add("a", D1, h.write, h.request("a"));
    h.batcher.add("b", other, h.write, h.request("b"));
    await h.closeWindows();
    expect(h.writes).toEqual([["a"], ["b"]]);
  });

  it("waits longer while records come in company, and the short window again once they come alone", async () => {
    const h = harness();
    h.batcher.add("a", D1, h.write, h.request("a"));
    await h.closeWindows();
    for (const name of ["b", "c"]) h.batcher.add(name, D1, h.write, h.request(name));
    await h.closeWindows();
    h.batcher.add("d", D1, h.write, h.request("d"));
    await h.closeWindows();
    h.batcher.add("e", D1, h.write, h.request("e"));
    await h.closeWindows();
    expect(h.writes).toEqual([["a"], ["b", "c"], ["d"], ["e"]]);
    expect(h.waits).toEqual([
      AUDIT_BATCH_WINDOW_MS,
      AUDIT_BATCH_WINDOW_MS,
      AUDIT_BUSY_WINDOW_MS,
      AUDIT_BATCH_WINDOW_MS,
    ]);
  });

  it("counts a batch that filled up as busy", async () => {
    const h = harness(2);
    for (const name of ["a", "b", "c"]) h.batcher.add(name, D1, h.write, h.request(name));
    await h.closeWindows();
    expect(h.waits).toEqual([AUDIT_BATCH_WINDOW_MS, AUDIT_BUSY_WINDOW_MS]);
  });
});
