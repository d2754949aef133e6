// Async jobs served: 202 admission, the event log's order, resume with Last-Event-ID, stored images, retention.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DurableTenantGate } from "../services/tenant-gate/durable-tenant-gate";
import { installStreamingOrigin, stream } from "../test/fake-origin-stream";
import { tenantWithKey, usageOf } from "../test/generation";
import { adminCall, call } from "../test/harness";
import { createJob, getJob, type ParsedEvent, readEvents } from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

const TERMINAL = ["completed", "failed", "canceled"];

/** The invariants every job's log keeps, whatever happened. */
function expectWellOrdered(events: ParsedEvent[]) {
  const ids = events.map((e) => e.id);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(new Set(ids).size).toBe(ids.length);
  const terminals = events.filter((e) => TERMINAL.includes(e.event));
  expect(terminals).toHaveLength(1);
  expect(events.at(-1)).toBe(terminals[0]);
  const steps = events.filter((e) => e.event === "progress").map((e) => e.data.step as number);
  expect(steps).toEqual([...steps].sort((a, b) => a - b));
  expect(new Set(steps).size).toBe(steps.length);
}

describe("POST /v1/images/jobs", () => {
  it("accepts a job with 202 and streams queued, started, progress with previews, then completed", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const created = await createJob(key, {
      prompt: "a lighthouse at dusk",
      n: 2,
      seed: 7,
      steps: 8,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    expect(created.body).toMatchObject({ object: "image.job", status: "queued" });
    expect(created.body.id).toMatch(/^job_[0-9A-Za-z]{24}$/);
    expect(created.body.urls.events).toBe(
      `https://edge.test/v1/images/jobs/${created.body.id}/events`,
    );
    expect(created.headers.get("location")).toBe(created.body.urls.self);

    const { status, events, contentType } = await readEvents(key, created.body.id);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expectWellOrdered(events);
    expect(events.map((e) => e.event)).toEqual([
      "queued",
      "started",
      ...Array.from({ length: 8 }, () => "progress"),
      "completed",
    ]);
    expect(events[0]?.data).toMatchObject({ job_id: created.body.id, position: 1 });
    const previews = events.filter((e) => e.event === "progress" && e.data.preview);
    expect(previews.map((e) => e.data.step)).toEqual([1, 5]);
    const completed = events.at(-1)?.data as { images: { url: string; seed: number }[] };
    expect(completed.images.map((i) => i.seed)).toEqual([7, 8]);
    // The origin was asked for a stream with previews every 4th step (the quality default).
    expect(origin.calls[0]).toMatchObject({
      accept: "text/event-stream",
      body: { preview_every: 4 },
    });

    const job = await getJob(key, created.body.id);
    expect(job.body).toMatchObject({
      status: "completed",
      progress: { step: 8, steps: 8 },
      error: null,
    });
    expect(job.body.data?.map((d) => d.url)).toEqual(completed.images.map((i) => i.url));
    const image = await call(new URL(completed.images[0]?.url ?? "").pathname, { token: key });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(await usageOf(key)).toMatchObject({ images_used: 2, images_reserved: 0 });
  });

  it("resumes after Last-Event-ID with nothing lost and nothing repeated", async () => {
    installStreamingOrigin();
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    const whole = await readEvents(key, body.id);
    const cut = whole.events[4]?.id ?? 0;
    const resumed = await readEvents(key, body.id, cut);
    expect(resumed.events).toEqual(whole.events.slice(5));
    const fromEnd = await readEvents(key, body.id, whole.events.at(-1)?.id);
    expect(fromEnd.events).toEqual([]);
  });

  it("runs the batch tier, which only jobs may use", async () => {
    const origin = installStreamingOrigin({ us: stream() });
    const { key } = await tenantWithKey({ allowed_tiers: ["fast", "quality", "batch"] });
    const { status, body } = await createJob(key, { prompt: "a fox", tier: "batch", steps: 8 });
    expect(status).toBe(202);
    const { events } = await readEvents(key, body.id);
    expect(events.at(-1)?.event).toBe("completed");
    expect(origin.calls[0]?.body.tier).toBe("batch");
  });

  it("keeps a finished job's prompt text only for a tenant that stores prompts", async () => {
    installStreamingOrigin();
    const storedText = async (storePrompts: boolean) => {
      const { key } = await tenantWithKey({ store_prompts: storePrompts });
      const { body } = await createJob(key, { prompt: "a secret fox", negative_prompt: "a dog" });
      expect((await readEvents(key, body.id)).events.at(-1)?.event).toBe("completed");
      const stub = env.JOBS.get(env.JOBS.idFromName(body.id));
      return runInDurableObject(stub, (_job, state) => {
        const [row] = state.storage.sql.exec<{ spec: string }>("SELECT spec FROM job").toArray();
        return row?.spec ?? "";
      });
    };
    const kept = await storedText(true);
    expect(kept).toContain("a secret fox");
    const dropped = await storedText(false);
    expect(dropped).not.toContain("secret");
    expect(dropped).not.toContain("a dog");
    expect(JSON.parse(dropped).audit.promptSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps a finished job for its retention period, then its alarm deletes the record (not the images)", async () => {
    installStreamingOrigin();
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    await readEvents(key, body.id);
    const finished = await getJob(key, body.id);
    const retention = (finished.body.expires_at as number) - (finished.body.finished_at as number);
    expect(retention).toBe(7 * 24 * 3600);
    const stub = env.JOBS.get(env.JOBS.idFromName(body.id));
    // Not yet due: the alarm leaves it.
    await runDurableObjectAlarm(stub);
    expect((await getJob(key, body.id)).status).toBe(200);
    await runInDurableObject(stub, async (_job, state) => {
      state.storage.sql.exec("UPDATE job SET expires_at_ms = ?", Date.now() - 1);
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await getJob(key, body.id)).status).toBe(404);
    expect((await readEvents(key, body.id)).status).toBe(404);
    const image = new URL(finished.body.data?.[0]?.url ?? "").pathname;
    expect((await call(image, { token: key })).status).toBe(200);
  });

  it("retries a settlement the gate did not take, then charges and audits it", async () => {
    installStreamingOrigin();
    const { key, tenantId } = await tenantWithKey();
    const settle = vi
      .spyOn(DurableTenantGate.prototype, "settle")
      .mockRejectedValueOnce(new Error("gate overloaded"));
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    expect((await readEvents(key, body.id)).events.at(-1)?.event).toBe("completed");
    expect(settle).toHaveBeenCalledTimes(1);
    // Delivered but not yet charged: the hold stays, and no job record is audited yet.
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 1 });
    const jobRecords = async () =>
      (
        await adminCall<{ data: { route: string; cost_charged: number }[] }>(
          `/admin/audit?tenant_id=${tenantId}`,
        )
      ).body.data.filter((r) => r.route.startsWith("JOB "));
    expect(await jobRecords()).toEqual([]);

    const stub = env.JOBS.get(env.JOBS.idFromName(body.id));
    await runInDurableObject(stub, async (_job, state) => {
      // Due now instead of in 5 s.
      state.storage.sql.exec("UPDATE pending_settlement SET next_at_ms = 0");
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(settle).toHaveBeenCalledTimes(2);
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
    await vi.waitFor(async () => expect(await jobRecords()).toHaveLength(1));
    // One quality image at its defaults: one unit.
    expect((await jobRecords())[0]?.cost_charged).toBe(1);
    expect(await usageOf(key)).toMatchObject({ units_used: 1 });
    const pending = await runInDurableObject(stub, (_job, state) =>
      state.storage.sql.exec("SELECT * FROM pending_settlement").toArray(),
    );
    expect(pending).toEqual([]);
  });

  it("audits a job as delivering URLs, which is what it does", async () => {
    installStreamingOrigin();
    const { key, tenantId } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    await readEvents(key, body.id);
    const jobRecords = async () =>
      (
        await adminCall<{ data: { route: string; params: Record<string, unknown> }[] }>(
          `/admin/audit?tenant_id=${tenantId}`,
        )
      ).body.data.filter((r) => r.route === "POST /v1/images/jobs" || r.route.startsWith("JOB "));
    // The creation's record, and the job's own, written once it ended.
    await vi.waitFor(async () =>
      expect((await jobRecords()).map((r) => r.route).sort()).toEqual([
        `JOB /v1/images/jobs/${body.id}`,
        "POST /v1/images/jobs",
      ]),
    );
    for (const record of await jobRecords()) expect(record.params.response_format).toBe("url");
  });
});
