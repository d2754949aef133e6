// Long jobs across alarms: each alarm follows a job for a stretch, hands it over, and the next attaches at the origin.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Bindings } from "../env";
import type { GenerationJob } from "../services/jobs/generation-job-do";
import { type JobSpec, newJobId } from "../services/jobs/job-spec";
import type { JobStore } from "../services/jobs/job-store";
import { installStreamingOrigin, stream } from "../test/fake-origin-stream";
import { tenantWithKey, usageOf } from "../test/generation";
import {
  createJob,
  getJob,
  type ParsedEvent,
  reachedStep,
  readEvents,
  readUntil,
} from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

const jobObject = (id: string) => env.JOBS.get(env.JOBS.idFromName(id));

/** The job's log is one clean run: queued, started, each step once and in order, one terminal. */
function expectOneRun(events: ParsedEvent[], steps: number, terminal: string) {
  expect(events.slice(0, 2).map((e) => e.event)).toEqual(["queued", "started"]);
  const progress = events.filter((e) => e.event === "progress").map((e) => e.data.step);
  expect(progress).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
  expect(events.at(-1)?.event).toBe(terminal);
  expect(events).toHaveLength(steps + 3);
}

describe("a job that outlasts one alarm's stretch", () => {
  it("is handed from alarm to alarm, each attaching where the last stopped: one run, charged once", async () => {
    const origin = installStreamingOrigin({ us: stream({ stepDelayMs: 40 }) });
    const { key } = await tenantWithKey();
    const steps = 16;
    const { body } = await createJob(key, { prompt: "a fox", n: 1, steps });
    await reachedStep(key, body.id, 2);
    await runInDurableObject(jobObject(body.id), async (job: GenerationJob) => {
      // Stretches of 120 ms from the next one on; this alarm, arriving while the first stretch
      // runs and before the job's deadline, makes that stretch hand over at once.
      const self = job as unknown as { env: Bindings };
      self.env = { ...self.env, JOB_HANDOVER_MS: "120" };
      await job.alarm();
    });
    const { events } = await readEvents(key, body.id);
    expectOneRun(events, steps, "completed");

    // One generation at the origin, picked up again by several alarms, each after the last event
    // the one before it took.
    expect(origin.calls).toHaveLength(1);
    const generationId = origin.calls[0]?.body.request_id;
    expect(origin.calls[0]?.body.detach_grace_ms).toBeGreaterThan(0);
    expect(origin.attaches.length).toBeGreaterThanOrEqual(2);
    for (const attach of origin.attaches) expect(attach.requestId).toBe(generationId);
    const afters = origin.attaches.map((a) => a.after);
    for (let i = 1; i < afters.length; i++) expect(afters[i]).toBeGreaterThan(afters[i - 1]!);
    expect(afters[0]).toBeGreaterThanOrEqual(4); // queued, started, steps 1 and 2 at least

    const job = await getJob(key, body.id);
    expect(job.body.status).toBe("completed");
    expect(job.body.data).toHaveLength(1);
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0, in_flight: 0 });
  });

  it("fails, refunded, with a cancel sent, when the origin no longer has the run to attach to", async () => {
    const origin = installStreamingOrigin({ us: stream({ holdAt: 2 }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", n: 2, steps: 8 });
    await reachedStep(key, body.id, 2);
    const generationId = origin.calls[0]?.body.request_id ?? "";
    // The origin restarted: its attach now answers 404. The running stretch is handed over (this
    // alarm comes while it runs), and the next alarm finds nothing to attach to.
    origin.forget(generationId);
    await runInDurableObject(jobObject(body.id), async (job: GenerationJob) => {
      const store = (job as unknown as { store: JobStore }).store;
      expect(store.originCursor()).toBeGreaterThanOrEqual(4);
      await job.alarm();
    });
    const { events } = await readEvents(key, body.id);
    const failed = events.at(-1);
    expect(failed?.event).toBe("failed");
    expect(failed?.data).toMatchObject({
      error: { code: "upstream_error", message: expect.stringMatching(/run was lost/) },
    });
    expect(origin.attaches.map((a) => a.requestId)).toEqual([generationId]);
    expect(origin.cancels).toContain(generationId);
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0, in_flight: 0 });
  });

  it("moves a job on to another region when the origin it waited at drains before starting it", async () => {
    const origin = installStreamingOrigin({ us: stream({ holdQueued: true }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", n: 1, steps: 8 });
    await readUntil(key, body.id, (e) => e.event === "queued");
    const generationId = origin.calls[0]?.body.request_id ?? "";
    expect(origin.calls.map((c) => c.region)).toEqual(["us"]);
    // The stretch waiting on the queued run is handed over; the next alarm attaches to it.
    await runInDurableObject(jobObject(body.id), (job: GenerationJob) => job.alarm());
    await vi.waitFor(() => expect(origin.attaches.length).toBeGreaterThanOrEqual(1));
    // Then that origin drains: it hands the job back (from the job's context, as a fetch would).
    await runInDurableObject(jobObject(body.id), () => {
      expect(origin.handBack(generationId)).toBe(true);
    });
    const { events } = await readEvents(key, body.id);
    expect(events.at(-1)?.event).toBe("completed");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    expect(events.find((e) => e.event === "started")?.data.region).toBe("eu");
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0, in_flight: 0 });
  });

  it("attaches again when the stream breaks off mid-run, and the run there goes on to the end", async () => {
    const origin = installStreamingOrigin({ us: stream({ dropAt: 3, stepDelayMs: 10 }) });
    const { key } = await tenantWithKey();
    const steps = 8;
    const { body } = await createJob(key, { prompt: "a fox", n: 2, steps });
    const { events } = await readEvents(key, body.id);
    expectOneRun(events, steps, "completed");
    expect(origin.calls).toHaveLength(1);
    expect(origin.attaches).toHaveLength(1);
    expect(origin.attaches[0]?.after).toBe(5); // queued, started, steps 1–3
    expect(await usageOf(key)).toMatchObject({ images_used: 2, images_reserved: 0, in_flight: 0 });
  });

  it("does not wait on a run left in memory by an alarm cut off at Workers' 15-minute limit", async () => {
    // A real job's spec, finished, reused under a fresh id for a job that is mid-run.
    installStreamingOrigin();
    const { key, tenantId } = await tenantWithKey();
    const done = await createJob(key, { prompt: "a fox", n: 1, steps: 8 });
    await readEvents(key, done.body.id);
    const spec = await runInDurableObject(jobObject(done.body.id), (_job, state) => {
      const [row] = state.storage.sql.exec<{ spec: string }>("SELECT spec FROM job").toArray();
      return JSON.parse(row?.spec ?? "{}") as JobSpec;
    });
    vi.restoreAllMocks();
    const origin = installStreamingOrigin();
    const jobId = newJobId();
    const ended = await runInDurableObject(jobObject(jobId), async (job: GenerationJob) => {
      const self = job as unknown as { store: JobStore; active: unknown };
      self.store.insert({ ...spec, jobId, createdAtMs: Date.now() });
      self.store.dispatched("us", "http://us.fake-origin.test");
      // What an invocation cut off mid-stretch leaves: its run, never to end, 16 minutes old.
      self.active = {
        stop: new AbortController(),
        origin: null,
        ended: new Promise<void>(() => {}),
        startedAtMs: Date.now() - 16 * 60_000,
      };
      await job.alarm();
      return (await job.get(tenantId))?.status;
    });
    // It attached (the origin had nothing: a fresh fake) instead of returning at the stale run.
    expect(origin.attaches.map((a) => a.requestId)).toEqual([spec.generationId]);
    expect(ended).toBe("failed");
  });
});
