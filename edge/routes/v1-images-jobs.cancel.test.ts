// Cancel for real: the signed cancel reaches the origin running the job, the job ends canceled, the hold is refunded.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GenerationJob } from "../services/jobs/generation-job-do";
import { type JobSpec, newJobId } from "../services/jobs/job-spec";
import type { JobStore } from "../services/jobs/job-store";
import { MAX_STREAMS_PER_JOB } from "../services/jobs/job-subscribers";
import { installStreamingOrigin, stream } from "../test/fake-origin-stream";
import { tenantWithKey, usageOf } from "../test/generation";
import { call } from "../test/harness";
import {
  cancelJob,
  createJob,
  getJob,
  reachedStep,
  readEvents,
  readFirstEvents,
} from "../test/jobs";

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

/** A job run to its first step and canceled: its tenant, key and stored spec (to reuse under a new id). */
async function aCanceledJobsSpec() {
  installStreamingOrigin({ us: stream({ holdAt: 1 }) });
  const { key, tenantId } = await tenantWithKey();
  const first = await createJob(key, { prompt: "a fox", steps: 8 });
  await reachedStep(key, first.body.id, 1);
  await cancelJob(key, first.body.id);
  const spec = await runInDurableObject(
    env.JOBS.get(env.JOBS.idFromName(first.body.id)),
    (_job, state) => {
      const [row] = state.storage.sql.exec<{ spec: string }>("SELECT spec FROM job").toArray();
      return JSON.parse(row?.spec ?? "{}") as JobSpec;
    },
  );
  return { key, tenantId, spec };
}

describe("a cancel racing the job's first alarm", () => {
  it("ends the job canceled once: the alarm does not start it while the cancel is recorded", async () => {
    // A real job's spec, reused under a fresh id for a job that has not run yet.
    const { key, tenantId, spec: ranSpec } = await aCanceledJobsSpec();
    const jobId = newJobId();
    const spec = { ...ranSpec, jobId };
    vi.restoreAllMocks();
    const origin = installStreamingOrigin();
    // The origin answers a moment late, as a real one across a network does.
    const answer = origin.spy.getMockImplementation();
    origin.spy.mockImplementation(async (input, init) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return answer ? answer(input, init) : new Response(null, { status: 500 });
    });

    const stub = env.JOBS.get(env.JOBS.idFromName(jobId));
    const reply = await runInDurableObject(stub, async (job: GenerationJob) => {
      // Queued, its alarm due (as `create` leaves it): the cancel and the alarm arrive together.
      (job as unknown as { store: { insert(spec: JobSpec): void } }).store.insert(spec);
      const [canceled] = await Promise.all([job.cancel(tenantId), job.alarm()]);
      return canceled;
    });
    expect(reply?.job.status).toBe("canceled");
    const { events } = await readEvents(key, jobId);
    expect(events.map((e) => e.event)).toEqual(["canceled"]);
    expect((await getJob(key, jobId)).body.status).toBe("canceled");
    expect(origin.calls).toHaveLength(0);
  });
});

describe("a cancel after the job's object restarted mid-run", () => {
  it("still tells the origin that took it, and ends the job canceled", async () => {
    const { tenantId, spec } = await aCanceledJobsSpec();
    vi.restoreAllMocks();
    const origin = installStreamingOrigin();
    const jobId = newJobId();
    const stub = env.JOBS.get(env.JOBS.idFromName(jobId));
    const reply = await runInDurableObject(stub, async (job: GenerationJob) => {
      // What a restarted object holds: a dispatched job, and no run of its own in memory.
      const store = (job as unknown as { store: JobStore }).store;
      store.insert({ ...spec, jobId });
      store.dispatched("us", "http://us.fake-origin.test");
      return job.cancel(tenantId);
    });
    expect(reply?.job.status).toBe("canceled");
    expect(origin.cancels).toEqual([spec.generationId]);
  });
});

describe("event streams per job", () => {
  it(`keeps at most ${MAX_STREAMS_PER_JOB} open readers on a running job; one more gets 429`, async () => {
    installStreamingOrigin({ us: stream({ holdAt: 1 }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    // Running, watched without a reader of its own (reachedStep would hold one).
    for (let i = 0; i < 200 && (await getJob(key, body.id)).body.status !== "running"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const path = `/v1/images/jobs/${body.id}/events`;
    const readers = await Promise.all(
      Array.from({ length: MAX_STREAMS_PER_JOB }, () => call(path, { token: key })),
    );
    expect(readers.map((r) => r.status)).toEqual(Array(MAX_STREAMS_PER_JOB).fill(200));
    const refused = await call(path, { token: key });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toMatchObject({ error: { code: "concurrency_limit" } });

    expect((await cancelJob(key, body.id)).body.status).toBe("canceled");
    const ends = await Promise.all(readers.map(async (r) => (await r.text()).trim().split("\n")));
    for (const lines of ends) expect(lines).toContain("event: canceled");
    // Finished, the job's backlog is open to any number of readers.
    expect((await call(path, { token: key })).status).toBe(200);
  });
});
