// Jobs and their images belong to one tenant (404 for anyone else), and a refused job is refused before the 202.
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectConformant } from "../test/conformance";
import { installStreamingOrigin, stream } from "../test/fake-origin-stream";
import { generate, tenantWithKey, usageOf } from "../test/generation";
import { adminCall, call, type ErrorEnvelope } from "../test/harness";
import { cancelJob, createJob, getJob, reachedStep, readEvents } from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

async function expectNotFound(res: Response) {
  expect(res.status).toBe(404);
  const body = (await res.json()) as ErrorEnvelope;
  expectConformant("ErrorResponse", body);
  expect(body.error.code).toBe("not_found");
}

describe("tenant isolation", () => {
  it("answers 404 to another tenant for the job, its events and its cancel", async () => {
    installStreamingOrigin({ us: stream({ holdAt: 2 }) });
    const owner = await tenantWithKey();
    const other = await tenantWithKey();
    const { body } = await createJob(owner.key, { prompt: "a fox", steps: 8 });
    await reachedStep(owner.key, body.id, 2);
    await expectNotFound(await call(`/v1/images/jobs/${body.id}`, { token: other.key }));
    await expectNotFound(await call(`/v1/images/jobs/${body.id}/events`, { token: other.key }));
    await expectNotFound(
      await call(`/v1/images/jobs/${body.id}/cancel`, { token: other.key, method: "POST" }),
    );
    // The stranger's cancel changed nothing: the owner's job is still running.
    expect((await getJob(owner.key, body.id)).body.status).toBe("running");
    await cancelJob(owner.key, body.id);
  });

  it("serves a job's images to their tenant only", async () => {
    installStreamingOrigin();
    const owner = await tenantWithKey();
    const other = await tenantWithKey();
    const { body } = await createJob(owner.key, { prompt: "a fox", steps: 8 });
    await readEvents(owner.key, body.id);
    const url = (await getJob(owner.key, body.id)).body.data?.[0]?.url ?? "";
    const path = new URL(url).pathname;
    expect((await call(path, { token: owner.key })).status).toBe(200);
    await expectNotFound(await call(path, { token: other.key }));
    expect((await call(path)).status).toBe(401);
  });

  it("answers 404 for ids that were never jobs, whatever their shape", async () => {
    const { key } = await tenantWithKey();
    for (const id of [`job_${"A".repeat(24)}`, "job_x", "../admin", `job_${"a".repeat(500)}`]) {
      await expectNotFound(await call(`/v1/images/jobs/${encodeURIComponent(id)}`, { token: key }));
    }
  });
});

describe("refused before the 202", () => {
  it("rejects a blocked prompt with no reservation and no origin call", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const res = await createJob(key, { prompt: "a nude woman on a beach", n: 4 });
    expect(res.status).toBe(400);
    expectConformant("ErrorResponse", res.body);
    expect(res.body).toMatchObject({
      error: { code: "content_policy_violation", param: "prompt" },
    });
    expect(origin.spy).not.toHaveBeenCalled();
    expect(await usageOf(key)).toMatchObject({ images_reserved: 0, in_flight: 0 });
  });

  it("answers 429 insufficient_quota synchronously when the job's images do not fit", async () => {
    installStreamingOrigin();
    const { key } = await tenantWithKey({ monthly_image_quota: 3 });
    expect((await createJob(key, { prompt: "a fox", n: 2 })).status).toBe(202);
    const res = await createJob(key, { prompt: "a fox", n: 2 });
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ error: { code: "insufficient_quota" } });
  });

  it("answers 400 naming n when the job asks for more images than the whole monthly quota", async () => {
    installStreamingOrigin();
    const { key } = await tenantWithKey({ monthly_image_quota: 1 });
    const res = await createJob(key, { prompt: "a fox", n: 2 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "invalid_request", param: "n" } });
  });

  it.each([
    ["credentials in it", "https://user:pw@hooks.example.com/x"],
    ["an ftp scheme", "ftp://hooks.example.com/x"],
    ["a relative path", "/hooks"],
  ])("rejects a webhook_url with %s, naming webhook_url", async (_label, webhook_url) => {
    const { key } = await tenantWithKey();
    const res = await createJob(key, { prompt: "a fox", webhook_url });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "invalid_request", param: "webhook_url" } });
  });

  it("takes the batch tier only as a job: 400 naming tier on the synchronous route", async () => {
    installStreamingOrigin();
    const { key } = await tenantWithKey({ allowed_tiers: ["fast", "quality", "batch"] });
    const sync = await generate(key, { prompt: "a fox", tier: "batch" });
    expect(sync.status).toBe(400);
    const error = (await sync.json()) as ErrorEnvelope;
    expect(error.error.param).toBe("tier");
    expect(error.error.message).toMatch(/async jobs/);
    expect((await createJob(key, { prompt: "a fox", tier: "batch" })).status).toBe(202);
  });

  it("refuses the batch tier to a tenant not allowed it", async () => {
    const { key } = await tenantWithKey({ allowed_tiers: ["fast", "quality"] });
    const res = await createJob(key, { prompt: "a fox", tier: "batch" });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: "tier_not_allowed", param: "tier" } });
  });
});

describe("Idempotency-Key on jobs", () => {
  it("replays the same job for the same key and body, and refuses a different body", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const headers = { "idempotency-key": "job-key-1" };
    const first = await createJob(key, { prompt: "a fox", steps: 8 }, { headers });
    const again = await createJob(key, { prompt: "a fox", steps: 8 }, { headers });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    await readEvents(key, first.body.id);
    expect(origin.calls).toHaveLength(1);
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
    const other = await createJob(key, { prompt: "a hare", steps: 8 }, { headers });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ error: { code: "idempotency_conflict" } });
  });
});

describe("the job's audit record", () => {
  it("records the job's outcome with its charge beside the 202 of the request that created it", async () => {
    installStreamingOrigin();
    const { key, tenantId } = await tenantWithKey();
    const headers = { "x-request-id": "job-audit-1" };
    const { body } = await createJob(key, { prompt: "a fox", n: 2, steps: 8 }, { headers });
    await readEvents(key, body.id);
    // The job writes its record just after its terminal event, off the event's path.
    const records = await vi.waitFor(async () => {
      const page = await adminCall<{ data: Record<string, unknown>[] }>("/admin/audit?limit=500");
      const found = page.body.data.filter((r) => r.request_id === "job-audit-1");
      expect(found.map((r) => r.status).sort()).toEqual([200, 202]);
      return found;
    });
    expect(records.find((r) => r.status === 200)).toMatchObject({
      tenant_id: tenantId,
      route: `JOB /v1/images/jobs/${body.id}`,
      region: "us",
      cost_charged: 2,
      safety_decision: "allow",
    });
  });
});
