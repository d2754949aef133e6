// A job's origin dying after its first event, or no origin at all: a terminal `failed` with a reason, and a refund.
import { afterEach, describe, expect, it, vi } from "vitest";
import { answerError, refuseConnection } from "../test/fake-origin";
import {
  completeWithoutImages,
  installStreamingOrigin,
  plain,
  stream,
} from "../test/fake-origin-stream";
import { tenantWithKey, usageOf } from "../test/generation";
import { createJob, getJob, readEvents } from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

describe("a job whose origin fails", () => {
  it("ends failed with the reason when the origin dies mid-run, and never runs it elsewhere", async () => {
    const origin = installStreamingOrigin({ us: stream({ dieAt: 2 }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", n: 2, steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.map((e) => e.event)).toEqual([
      "queued",
      "started",
      "progress",
      "progress",
      "failed",
    ]);
    const failed = events.at(-1)?.data as {
      status: string;
      error: { code: string; message: string };
    };
    expect(failed.status).toBe("failed");
    expect(failed.error.code).toBe("upstream_error");
    expect(failed.error.message).toMatch(
      /Region us dropped the connection after the generation started/,
    );
    expect(origin.calls.map((c) => c.region)).toEqual(["us"]);
    const job = await getJob(key, body.id);
    expect(job.body).toMatchObject({
      status: "failed",
      data: null,
      error: { code: "upstream_error" },
    });
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0, in_flight: 0 });
  });

  it("ends failed, not completed without images, when the origin completes with none", async () => {
    installStreamingOrigin({ us: completeWithoutImages });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.map((e) => e.event)).toEqual(["started", "failed"]);
    expect(events[1]?.data).toMatchObject({ error: { code: "upstream_error" } });
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0, in_flight: 0 });
  });

  it("passes on the origin's own failed event with its code", async () => {
    const failWith = {
      event: "failed" as const,
      data: {
        error: {
          message: "deadline passed",
          type: "server_error",
          param: null,
          code: "deadline_exceeded" as const,
          request_id: null,
        },
      },
    };
    installStreamingOrigin({ us: stream({ failWith }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events.at(-1)).toMatchObject({
      event: "failed",
      data: { error: { code: "deadline_exceeded", request_id: expect.any(String) } },
    });
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0 });
  });

  it("ends failed no_capacity when every region of the tenant's residency is down", async () => {
    installStreamingOrigin({ eu: plain(refuseConnection) });
    const { key } = await tenantWithKey({ residency: "eu" } as never);
    const { status, body } = await createJob(key, { prompt: "a fox", steps: 8 });
    expect(status).toBe(202);
    const { events } = await readEvents(key, body.id);
    expect(events.map((e) => e.event)).toEqual(["failed"]);
    expect(events[0]?.data).toMatchObject({ error: { code: "no_capacity" } });
    expect(await usageOf(key)).toMatchObject({ images_reserved: 0 });
  });

  it("ends failed with the origins' refusal when every region answers 429 before the first event", async () => {
    const full = plain(answerError(429, "overloaded", { "retry-after": "2" }));
    installStreamingOrigin({ us: full, eu: full });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const { events } = await readEvents(key, body.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: "failed", data: { error: { code: "overloaded" } } });
  });
});
