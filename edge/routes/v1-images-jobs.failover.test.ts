// A job's origin failing before its first event: the job moves to the next region, and the client never notices.
import { afterEach, describe, expect, it, vi } from "vitest";
import { refuseConnection } from "../test/fake-origin";
import { installStreamingOrigin, plain, silent } from "../test/fake-origin-stream";
import { tenantWithKey, usageOf } from "../test/generation";
import { createJob, getJob, readEvents } from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

// Each case fails `us` once: the breaker (3 consecutive failures) stays closed within this file.
describe("a job whose first origin fails before its first event", () => {
  it.each([
    ["refuses the connection", plain(refuseConnection)],
    ["closes its stream before any event", silent],
  ])("runs on the next region when the first %s", async (_label, us) => {
    const origin = installStreamingOrigin({ us });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.map((e) => e.event)).toEqual([
      "queued",
      "started",
      ...Array.from({ length: 8 }, () => "progress"),
      "completed",
    ]);
    expect(events[1]?.data.region).toBe("eu");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    // One generation id for both attempts: the reservation is the job's, whoever runs it.
    expect(new Set(origin.calls.map((c) => c.body.request_id)).size).toBe(1);
    expect((await getJob(key, body.id)).body).toMatchObject({ status: "completed", region: "eu" });
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
  });
});
