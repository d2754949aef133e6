import sharp from "sharp";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ErrorBodySchema } from "../../protocol/errors";
import {
  type GenerationEvent,
  isTerminal,
  parseGenerationEvent,
  parseSse,
  type SseMessage,
} from "../../protocol/events";
import type { GenerateRequestInput } from "../../protocol/generate";
import { loadTinyPipeline, readyOriginApp, validRequest } from "../../test/support/origin-fixtures";
import { signedInit } from "../../test/support/signed-request";
import type { DiffusionPipeline } from "../engine/pipeline";
import { tinyLatentProjection } from "../imaging/preview-projection";
import { ContinuousBatcher } from "../scheduler/continuous-batcher";
import type { GenerationJob, JobOutcome } from "../scheduler/job-scheduler";
import { CountingEvents } from "../scheduler/scheduler-events";

const GENERATE = "/internal/v1/generate";
const CANCEL = "/internal/v1/cancel";
let pipeline: DiffusionPipeline;

beforeAll(async () => {
  pipeline = await loadTinyPipeline();
});

function makeApp(scheduler: ContinuousBatcher = new ContinuousBatcher(pipeline)) {
  return { app: readyOriginApp(pipeline, scheduler, tinyLatentProjection()), scheduler };
}

async function streamInit(body: GenerateRequestInput, signal?: AbortSignal) {
  const init = await signedInit(GENERATE, JSON.stringify(body));
  return {
    ...init,
    headers: { ...(init.headers as object), accept: "text/event-stream" },
    ...(signal ? { signal } : {}),
  };
}

/** Reads SSE messages as they arrive; each is validated against its event's schema. */
async function* messages(res: Response): AsyncGenerator<SseMessage & { parsed: GenerationEvent }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const { messages: complete, rest } = parseSse(buffer);
    buffer = rest;
    for (const m of complete) {
      const parsed = parseGenerationEvent(m);
      if (!parsed) throw new Error(`invalid event ${m.event}: ${m.data.slice(0, 200)}`);
      yield { ...m, parsed };
    }
  }
  expect(buffer).toBe("");
}

async function collect(res: Response) {
  const all = [];
  for await (const m of messages(res)) all.push(m);
  return all;
}

/** The invariants every stream obeys, whatever its outcome. */
function expectWellFormed(all: Array<SseMessage & { parsed: GenerationEvent }>) {
  expect(all.map((m) => m.id)).toEqual(all.map((_, i) => i + 1));
  expect(all[0]!.event).toBe("queued");
  expect(all.filter((m) => isTerminal(m.event))).toHaveLength(1);
  expect(isTerminal(all.at(-1)!.event)).toBe(true);
  const steps = all.flatMap((m) => (m.parsed.event === "progress" ? [m.parsed.data.step] : []));
  for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]!);
}

function progress(all: Array<{ parsed: GenerationEvent }>) {
  return all.flatMap((m) => (m.parsed.event === "progress" ? [m.parsed.data] : []));
}

describe("generate with Accept: text/event-stream", () => {
  it("streams queued, started, every step with a preview, then completed with PNGs", async () => {
    const { app } = makeApp();
    const req = validRequest({ steps: 4, n: 2 });
    const res = await app.request(GENERATE, await streamInit(req));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const all = await collect(res);
    expectWellFormed(all);
    expect(all.slice(0, 2).map((m) => m.event)).toEqual(["queued", "started"]);
    expect(all[0]!.parsed.data).toEqual({ request_id: req.request_id, position: 1 });
    const steps = progress(all);
    expect(steps.map((p) => [p.step, p.steps])).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    for (const p of steps) {
      const meta = await sharp(Buffer.from(p.preview!.b64, "base64")).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["webp", 64, 64]);
      expect([p.preview!.width, p.preview!.height]).toEqual([64, 64]);
    }
    const done = all.at(-1)!.parsed;
    if (done.event !== "completed") throw new Error(`ended with ${done.event}`);
    expect(done.data.metadata.request_id).toBe(req.request_id);
    expect(done.data.images.map((i) => i.seed)).toEqual([7, 8]);
    for (const image of done.data.images) {
      const meta = await sharp(Buffer.from(image.b64, "base64")).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["png", 256, 256]);
    }
  });

  it("previews the first step and every k-th after it, and none with preview_every 0", async () => {
    const { app } = makeApp();
    const quality = { tier: "quality", scheduler: "ddim", guidance_scale: 3 } as const;
    const every4 = await collect(
      await app.request(GENERATE, await streamInit(validRequest({ ...quality, steps: 9 }))),
    );
    expectWellFormed(every4);
    const withPreview = progress(every4)
      .filter((p) => p.preview)
      .map((p) => p.step);
    expect(withPreview).toEqual([1, 5, 9]);
    const none = await collect(
      await app.request(
        GENERATE,
        await streamInit(validRequest({ ...quality, steps: 8, preview_every: 0 })),
      ),
    );
    expectWellFormed(none);
    expect(progress(none)).toHaveLength(8);
    expect(progress(none).some((p) => p.preview)).toBe(false);
  });

  it("ends with canceled, and nothing after it, when the job is canceled mid-run", async () => {
    const { app } = makeApp();
    const req = validRequest({ tier: "quality", scheduler: "ddim", guidance_scale: 3, steps: 50 });
    const res = await app.request(GENERATE, await streamInit(req));
    const all = [];
    for await (const m of messages(res)) {
      all.push(m);
      if (m.event === "progress" && m.parsed.event === "progress" && m.parsed.data.step === 2) {
        const body = JSON.stringify({ request_id: req.request_id });
        expect((await app.request(CANCEL, await signedInit(CANCEL, body))).status).toBe(200);
      }
    }
    expectWellFormed(all);
    expect(all.at(-1)!.parsed).toEqual({ event: "canceled", data: { request_id: req.request_id } });
    expect(progress(all).length).toBeLessThan(50);
  });

  it("cancels the job when the client goes away", async () => {
    const events = new CountingEvents();
    const { app, scheduler } = makeApp(new ContinuousBatcher(pipeline, { events }));
    const client = new AbortController();
    const req = validRequest({ tier: "quality", scheduler: "ddim", guidance_scale: 3, steps: 50 });
    const res = await app.request(GENERATE, await streamInit(req, client.signal));
    for await (const m of messages(res)) {
      if (m.event === "progress") break; // leaving the loop cancels the body's reader
    }
    client.abort();
    await vi.waitFor(() => expect(scheduler.inFlight()).toBe(0), { timeout: 30_000 });
    expect(events.count("canceled.quality")).toBe(1);
  });
});

/** A scheduler that reports `events` and then settles as told, for outcomes the real one rarely gives. */
function scriptedScheduler(events: Array<"queued" | "started">, outcome: JobOutcome) {
  const real = new ContinuousBatcher(pipeline);
  real.submit = async (job: GenerationJob) => {
    if (events.includes("queued")) job.onEvent?.({ type: "queued", position: 1 });
    if (events.includes("started")) job.onEvent?.({ type: "started" });
    return outcome;
  };
  return real;
}

describe("failures", () => {
  it("answers plain JSON for errors before the stream starts", async () => {
    const invalid = await makeApp().app.request(
      GENERATE,
      await streamInit(validRequest({ steps: 9 })),
    );
    expect(invalid.status).toBe(400);
    expect(ErrorBodySchema.parse(await invalid.json()).error.param).toBe("steps");
    const { app } = makeApp(
      scriptedScheduler([], { ok: false, reason: "overloaded", retryAfterMs: 2000 }),
    );
    const refused = await app.request(GENERATE, await streamInit(validRequest()));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    expect(refused.headers.get("retry-after")).toBe("2");
    expect(ErrorBodySchema.parse(await refused.json()).error.code).toBe("overloaded");
  });

  it("ends with failed when the job fails after it was admitted", async () => {
    const { app } = makeApp(
      scriptedScheduler(["queued", "started"], { ok: false, reason: "deadline_exceeded" }),
    );
    const all = await collect(await app.request(GENERATE, await streamInit(validRequest())));
    expectWellFormed(all);
    expect(all.map((m) => m.event)).toEqual(["queued", "started", "failed"]);
    const last = all.at(-1)!.parsed;
    expect(last.event === "failed" && last.data.error.code).toBe("deadline_exceeded");
  });

  it("ends with failed (not a clean close) when encoding the result throws", async () => {
    const broken: JobOutcome = {
      ok: true,
      result: {
        images: [{ seed: 7, pixels: undefined as never }], // a decoder that returned nothing
        timings: { queue_ms: 0, text_encode_ms: 0, denoise_ms: 0, decode_ms: 0 },
        params: { ...validRequest(), negative_prompt: "" } as never,
        tier: "fast",
      },
    };
    const { app } = makeApp(scriptedScheduler(["queued", "started"], broken));
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const all = await collect(await app.request(GENERATE, await streamInit(validRequest())));
    spy.mockRestore();
    expectWellFormed(all);
    const last = all.at(-1)!.parsed;
    expect(last.event === "failed" && last.data.error.code).toBe("internal_error");
  });
});
