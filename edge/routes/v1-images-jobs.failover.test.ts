// A job's origin failing before its first event: the job moves to the next region, and the client never notices.
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorBody } from "../../protocol/errors";
import { refuseConnection } from "../test/fake-origin";
import {
  handBack,
  installStreamingOrigin,
  plain,
  silent,
  stream,
} from "../test/fake-origin-stream";
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

describe("a job whose origin drains while the job is still queued there", () => {
  it("runs on the next region: the origin handed it back (not_ready) before it started", async () => {
    const origin = installStreamingOrigin({ us: handBack() });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.at(-1)?.event).toBe("completed");
    expect(events.find((e) => e.event === "started")?.data.region).toBe("eu");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    expect((await getJob(key, body.id)).body).toMatchObject({ status: "completed", region: "eu" });
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
  });

  it("ends failed, not handed on, once the origin reported a step (even without `started`)", async () => {
    const progressed = handBack(({ body }) => [
      { event: "progress", data: { request_id: body.request_id, step: 1, steps: 8 } },
    ]);
    const origin = installStreamingOrigin({ us: progressed });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.at(-1)?.event).toBe("failed");
    expect(origin.calls.map((c) => c.region)).toEqual(["us"]);
  });

  it("ends failed with no_capacity when every region hands it back, and charges nothing", async () => {
    const origin = installStreamingOrigin({ us: handBack(), eu: handBack() });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.at(-1)).toMatchObject({
      event: "failed",
      data: { error: { code: "no_capacity" } },
    });
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0 });
  });

  it("still ends failed when the origin fails it after it started", async () => {
    const failing = stream({
      failWith: {
        event: "failed",
        data: { error: errorBody("not_ready", "Origin is draining").error },
      },
    });
    const origin = installStreamingOrigin({ us: failing });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.at(-1)?.event).toBe("failed");
    expect(origin.calls.map((c) => c.region)).toEqual(["us"]);
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0 });
  });
});
