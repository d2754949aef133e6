// Cancel for real: the signed cancel reaches the origin running the job, the job ends canceled, the hold is refunded.
import { afterEach, describe, expect, it, vi } from "vitest";
import { installStreamingOrigin, stream } from "../test/fake-origin-stream";
import { tenantWithKey, usageOf } from "../test/generation";
import { cancelJob, createJob, reachedStep, readEvents, readFirstEvents } from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

describe("POST /v1/images/jobs/{id}/cancel", () => {
  it("stops a running job at the origin, ends it canceled and refunds its reservation", async () => {
    const origin = installStreamingOrigin({ us: stream({ holdAt: 3 }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", n: 2, steps: 8 });
    await reachedStep(key, body.id, 3);
    const generationId = origin.calls[0]?.body.request_id ?? "";
    expect(origin.isRunning(generationId)).toBe(true);
    expect(await usageOf(key)).toMatchObject({ images_reserved: 2, images_used: 0 });

    const canceled = await cancelJob(key, body.id);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe("canceled");
    expect(origin.cancels).toEqual([generationId]);
    expect(origin.isRunning(generationId)).toBe(false);
    expect(await usageOf(key)).toMatchObject({ images_reserved: 0, images_used: 0, in_flight: 0 });

    const { events } = await readEvents(key, body.id);
    expect(events.map((e) => e.event)).toEqual([
      "queued",
      "started",
      "progress",
      "progress",
      "progress",
      "canceled",
    ]);
    expect(events.at(-1)?.data).toMatchObject({ job_id: body.id, status: "canceled" });
  });

  it("tells a stream that is open at the time, and closes it after `canceled`", async () => {
    installStreamingOrigin({ us: stream({ holdAt: 1 }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    await reachedStep(key, body.id, 1);
    const live = readEvents(key, body.id);
    await cancelJob(key, body.id);
    const { events } = await live;
    expect(events.map((e) => e.event)).toEqual(["queued", "started", "progress", "canceled"]);
  });

  it("is a no-op on a finished job: 200 with its final status, nothing refunded or sent", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    await readEvents(key, body.id);
    const again = await cancelJob(key, body.id);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("completed");
    expect(origin.cancels).toEqual([]);
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
    const twice = await cancelJob(key, body.id);
    expect(twice.body.status).toBe("completed");
  });

  it("keeps a resumed stream whole across a cancel: the events after Last-Event-ID, then canceled", async () => {
    installStreamingOrigin({ us: stream({ holdAt: 2 }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    await reachedStep(key, body.id, 2);
    const firstTwo = await readFirstEvents(key, body.id, 2);
    expect(firstTwo.map((e) => e.event)).toEqual(["queued", "started"]);
    await cancelJob(key, body.id);
    const resumed = await readEvents(key, body.id, firstTwo[1]?.id);
    expect(resumed.events.map((e) => [e.event, e.data.step ?? null])).toEqual([
      ["progress", 1],
      ["progress", 2],
      ["canceled", null],
    ]);
  });
});
