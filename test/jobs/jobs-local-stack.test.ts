// Multi-process: async jobs against two real origin regions and the edge under wrangler dev: previews, completion, real cancel.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSse, type SseMessage } from "../../protocol/events";
import { createTenant, issueKey } from "../../scripts/local-stack/admin-client";
import { type LocalStack, startLocalStack } from "../../scripts/local-stack/stack";
import { configFromEnv } from "../../scripts/local-stack/stack-config";

const ADMIN_TOKEN = "jobs-local-stack-admin-token";
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const TERMINAL = ["completed", "failed", "canceled"];
/** Each Durable Object alarm follows a job this long, then hands it to the next alarm (production:
 *  12 minutes, under the 15-minute alarm limit); short here, so a job of a few seconds crosses it. */
const HANDOVER_MS = 600;

let scratch = "";
let stack: LocalStack | undefined;
let originSecret = "";
let apiKey = "";

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "darkroom-jobs-"));
  originSecret = randomBytes(24).toString("base64url");
  stack = await startLocalStack({
    ...configFromEnv({}),
    edgePort: 19600,
    origins: [
      { region: "us", port: 19601, portVar: "ORIGIN_US_PORT" },
      { region: "eu", port: 19602, portVar: "ORIGIN_EU_PORT" },
    ],
    adminToken: ADMIN_TOKEN,
    originSecret,
    edgeVars: { JOB_HANDOVER_MS: String(HANDOVER_MS) },
    persistDir: join(scratch, "state"),
    logDir: join(scratch, "logs"),
  });
  const tenant = await createTenant(stack.edgeUrl, ADMIN_TOKEN, {
    name: "jobs-test",
    rate_limit_per_minute: 600,
    max_concurrency: 8,
    monthly_image_quota: 1_000,
    allowed_tiers: ["fast", "quality", "batch"],
  });
  apiKey = (await issueKey(stack.edgeUrl, ADMIN_TOKEN, tenant.id, "jobs")).key;
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 60_000);

const edge = (path: string, init: RequestInit = {}) =>
  fetch(`${stack?.edgeUrl}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${apiKey}`,
      "content-type": "application/json",
      ...init.headers,
    },
  });

interface Event {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a job's event stream as it arrives; `onEvent` may act mid-stream. Ends when the stream does. */
async function follow(id: string, onEvent: (event: Event) => Promise<void> | void = () => {}) {
  const res = await edge(`/v1/images/jobs/${id}/events`);
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  const events: Event[] = [];
  let buffer = "";
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return events;
    buffer += chunk.value;
    const { messages, rest } = parseSse(buffer);
    buffer = rest;
    for (const m of messages as SseMessage[]) {
      const event = { id: m.id, event: m.event, data: JSON.parse(m.data) };
      events.push(event);
      await onEvent(event);
    }
  }
}

async function createJob(body: Record<string, unknown>) {
  const res = await edge("/v1/images/jobs", { method: "POST", body: JSON.stringify(body) });
  const json = (await res.json()) as { id: string; status: string };
  expect(res.status, JSON.stringify(json)).toBe(202);
  return json;
}

/** Sums a metric's samples on the region's origin `/metrics` (those whose line starts with `prefix`). */
async function originMetric(region: string, prefix: string): Promise<number> {
  const origin = stack?.origins.find((o) => o.region === region);
  const text = await (await fetch(`${origin?.url}/metrics`)).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith(prefix))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

const attachedCount = (region: string) =>
  originMetric(region, 'darkroom_origin_stream_attaches_total{outcome="attached"}');
const runningRows = (region: string) =>
  originMetric(region, 'darkroom_origin_rows{state="running"}');
const canceledCount = (region: string) =>
  originMetric(region, "darkroom_origin_cancellations_total");

function expectWellOrdered(events: Event[]) {
  const ids = events.map((e) => e.id);
  expect(ids).toEqual([...ids].sort((a, b) => a - b));
  expect(events.filter((e) => TERMINAL.includes(e.event))).toHaveLength(1);
  expect(TERMINAL).toContain(events.at(-1)?.event);
  const steps = events.filter((e) => e.event === "progress").map((e) => e.data.step as number);
  expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
}

describe("async jobs on the local stack", () => {
  it("runs a job to completion with previews from a real origin, and serves its images", async () => {
    const job = await createJob({
      prompt: "a lighthouse at dusk",
      size: "256x256",
      steps: 8,
      n: 2,
    });
    const events = await follow(job.id);
    expectWellOrdered(events);
    expect(events.slice(0, 2).map((e) => e.event)).toEqual(["queued", "started"]);
    expect(events.filter((e) => e.event === "progress")).toHaveLength(8);
    const previews = events.flatMap((e) =>
      e.data.preview ? [e.data.preview as { b64: string }] : [],
    );
    expect(previews.length).toBeGreaterThanOrEqual(2);
    const completed = events.at(-1) as Event;
    expect(completed.event).toBe("completed");
    const images = completed.data.images as { url: string }[];
    expect(images).toHaveLength(2);
    const res = await edge(new URL(images[0]?.url ?? "").pathname);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(PNG_MAGIC.every((b, i) => bytes[i] === b)).toBe(true);
    const usage = (await (await edge("/v1/usage")).json()) as { images_reserved: number };
    expect(usage.images_reserved).toBe(0);
  });

  it("cancels mid-run: the origin drops the job's rows and the reservation is refunded", async () => {
    const before = (await (await edge("/v1/usage")).json()) as { images_used: number };
    // A batch job at the tier's most steps: still denoising when the cancel arrives at step 2.
    const job = await createJob({
      prompt: "a fox",
      tier: "batch",
      size: "512x512",
      steps: 50,
      n: 1,
    });
    let region = "";
    let rowsBefore = 0;
    let cancelsBefore = 0;
    let canceledStatus = "";
    const events = await follow(job.id, async (event) => {
      if (event.event === "started") region = event.data.region as string;
      if (event.event === "progress" && event.data.step === 2) {
        rowsBefore = await runningRows(region);
        cancelsBefore = await canceledCount(region);
        const res = await edge(`/v1/images/jobs/${job.id}/cancel`, { method: "POST" });
        canceledStatus = ((await res.json()) as { status: string }).status;
      }
    });
    expect(rowsBefore).toBeGreaterThan(0);
    expect(canceledStatus).toBe("canceled");
    expectWellOrdered(events);
    expect(events.at(-1)?.event).toBe("canceled");
    expect((events.at(-2)?.data.step as number) < 50).toBe(true);
    expect(await runningRows(region)).toBe(0);
    expect(await canceledCount(region)).toBe(cancelsBefore + 1);
    const usage = (await (await edge("/v1/usage")).json()) as {
      images_used: number;
      images_reserved: number;
    };
    expect(usage).toMatchObject({ images_used: before.images_used, images_reserved: 0 });
  });

  it("hands a long job from alarm to alarm: the origin runs it once, each alarm attaches where the last stopped", async () => {
    const before = (await (await edge("/v1/usage")).json()) as { images_used: number };
    const regions = stack?.origins.map((o) => o.region) ?? [];
    const attachesBefore = await Promise.all(regions.map(attachedCount));
    const cancelsBefore = await Promise.all(regions.map(canceledCount));
    // Several times the handover period at 512² (guided, 30 steps).
    const job = await createJob({
      prompt: "a harbour in the rain",
      tier: "batch",
      size: "512x512",
      steps: 30,
      n: 1,
    });
    const started = performance.now();
    const events = await follow(job.id);
    const tookMs = performance.now() - started;
    expectWellOrdered(events);
    expect(events.slice(0, 2).map((e) => e.event)).toEqual(["queued", "started"]);
    const steps = events.filter((e) => e.event === "progress").map((e) => e.data.step);
    expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(events.at(-1)?.event).toBe("completed");
    const region = events[1]?.data.region as string;
    const i = regions.indexOf(region);
    const attaches = (await attachedCount(region)) - (attachesBefore[i] ?? 0);
    // One attach per handover, and a handover every period plus its own cost (an alarm, a
    // signed attach): at least one for every two periods the run took. The run was never
    // canceled or run again.
    expect(attaches).toBeGreaterThanOrEqual(Math.max(1, Math.floor(tookMs / (2 * HANDOVER_MS))));
    expect(await Promise.all(regions.map(canceledCount))).toEqual(cancelsBefore);
    const usage = (await (await edge("/v1/usage")).json()) as {
      images_used: number;
      images_reserved: number;
    };
    expect(usage).toMatchObject({ images_used: before.images_used + 1, images_reserved: 0 });
  });
});
