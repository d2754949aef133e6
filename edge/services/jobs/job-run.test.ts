// runJob's budget: the deadline counts from the job's creation, like its reservation's lease.
import { describe, expect, it, vi } from "vitest";
import type { RegionRouter } from "../regions/region-router";
import { runJob } from "./job-run";
import type { JobSpec } from "./job-spec";

describe("runJob", () => {
  it("fails a job whose deadline passed before it could start, sending it nowhere", async () => {
    const now = Date.UTC(2026, 10, 27, 12);
    const spec = {
      jobId: "job_late",
      requestId: "req_late",
      createdAtMs: now - 61_000,
      plan: { deadlineMs: 60_000 },
    } as unknown as JobSpec;
    const candidates = vi.fn(async () => []);
    const regions = { candidates, record: vi.fn() } as unknown as RegionRouter;
    const end = await runJob({
      spec,
      regions,
      images: {} as never,
      secret: "s",
      signal: new AbortController().signal,
      onDispatched: vi.fn(),
      emit: vi.fn(),
      now: () => now,
    });
    expect(end).toMatchObject({ status: "failed", error: { code: "deadline_exceeded" } });
    expect(candidates).not.toHaveBeenCalled();
  });
});
