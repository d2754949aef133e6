// DetachedRuns: grace timers, delivery, and what draining waits for.
import { describe, expect, it, vi } from "vitest";
import { DetachedRuns } from "./detached-runs";
import type { EventRelay } from "./event-relay";

const relay = (finished = false) => ({ finished }) as unknown as EventRelay;

describe("DetachedRuns", () => {
  it("cancels a run nobody came back to within its grace, and forgets it", async () => {
    vi.useFakeTimers();
    try {
      const sizes: number[] = [];
      const runs = new DetachedRuns((n) => sizes.push(n));
      const abort = vi.fn();
      const r = relay();
      runs.add("a", r, 1_000, abort);
      runs.detached("a", r);
      vi.advanceTimersByTime(999);
      expect(runs.get("a")).toBe(r);
      vi.advanceTimersByTime(1);
      expect(abort).toHaveBeenCalledOnce();
      expect(runs.get("a")).toBeNull();
      expect(sizes).toEqual([1, 0]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps a run whose reader came back, and never cancels a finished one", async () => {
    vi.useFakeTimers();
    try {
      const runs = new DetachedRuns();
      const abort = vi.fn();
      const r = relay();
      runs.add("a", r, 1_000, abort);
      runs.detached("a", r);
      vi.advanceTimersByTime(500);
      runs.reattached("a");
      vi.advanceTimersByTime(5_000);
      expect(runs.get("a")).toBe(r);
      (r as { finished: boolean }).finished = true;
      runs.delivered("a", r);
      vi.advanceTimersByTime(1_000);
      expect(runs.get("a")).toBeNull();
      expect(abort).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it("lets draining finish once every run left was delivered, not before", async () => {
    const runs = new DetachedRuns();
    const a = relay();
    const b = relay();
    runs.add("a", a, 60_000, () => {});
    runs.add("b", b, 60_000, () => {});
    let idle = false;
    const waiting = runs.idle().then(() => {
      idle = true;
    });
    runs.delivered("a", a);
    await Promise.resolve();
    expect(idle).toBe(false);
    runs.delivered("b", b);
    await waiting;
    expect(idle).toBe(true);
    // Delivered runs are still held (for a reader cut off at the end) but do not hold a drain.
    expect(runs.size).toBe(2);
    await runs.idle();
  });
});
