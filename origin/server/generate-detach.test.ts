// Detachable streams: a run with detach_grace_ms outlives its reader, and POST /internal/v1/attach picks it up again.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ErrorBodySchema } from "../../protocol/errors";
import {
  type GenerationEvent,
  isTerminal,
  parseGenerationEvent,
  parseSse,
  type SseMessage,
} from "../../protocol/events";
import {
  loadTinyPipeline,
  longGuidedRequest,
  readyOriginApp,
  validRequest,
} from "../../test/support/origin-fixtures";
import { signedInit } from "../../test/support/signed-request";
import type { DiffusionPipeline } from "../engine/pipeline";
import { ContinuousBatcher } from "../scheduler/continuous-batcher";
import type { GenerationJob, JobOutcome } from "../scheduler/job-scheduler";
import { CountingEvents } from "../scheduler/scheduler-events";

const GENERATE = "/internal/v1/generate";
const ATTACH = "/internal/v1/attach";
let pipeline: DiffusionPipeline;

beforeAll(async () => {
  pipeline = await loadTinyPipeline();
});

type Message = SseMessage & { parsed: GenerationEvent };

function makeApp() {
  const events = new CountingEvents();
  const scheduler = new ContinuousBatcher(pipeline, { events });
  return { app: readyOriginApp(pipeline, scheduler), scheduler, events };
}

const longRun = longGuidedRequest;

async function streamInit(path: string, body: unknown) {
  const init = await signedInit(path, JSON.stringify(body));
  return { ...init, headers: { ...(init.headers as object), accept: "text/event-stream" } };
}

/** Reads messages until `stopAfter` says so (then hangs up) or the stream ends. */
async function read(res: Response, stopAfter: (m: Message) => boolean = () => false) {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const all: Message[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return all;
    buffer += value;
    const { messages, rest } = parseSse(buffer);
    buffer = rest;
    for (const m of messages) {
      const parsed = parseGenerationEvent(m);
      if (!parsed) throw new Error(`invalid event ${m.event}`);
      all.push({ ...m, parsed });
      if (stopAfter(all.at(-1)!)) {
        await reader.cancel();
        return all;
      }
    }
  }
}

const atStep = (step: number) => (m: Message) =>
  m.parsed.event === "progress" && m.parsed.data.step === step;

/** Two readers' messages together are one well-formed stream: ids 1.., steps rising, one terminal. */
function expectOneStream(all: Message[]) {
  expect(all.map((m) => m.id)).toEqual(all.map((_, i) => i + 1));
  expect(all[0]!.event).toBe("queued");
  expect(all.filter((m) => isTerminal(m.event))).toHaveLength(1);
  expect(isTerminal(all.at(-1)!.event)).toBe(true);
  const steps = all.flatMap((m) => (m.parsed.event === "progress" ? [m.parsed.data.step] : []));
  expect(steps).toEqual(steps.map((_, i) => i + 1));
}

describe("a streamed run with detach_grace_ms", () => {
  it("goes on without its reader, and attach resumes after the last id with nothing lost or repeated", async () => {
    const { app, scheduler, events } = makeApp();
    const req = longRun({ detach_grace_ms: 30_000 });
    const first = await read(
      await app.request(GENERATE, await streamInit(GENERATE, req)),
      atStep(3),
    );
    const after = first.at(-1)!.id;
    // The reader is gone; the run is not.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(scheduler.inFlight()).toBeGreaterThan(0);
    const rest = await read(
      await app.request(ATTACH, await streamInit(ATTACH, { request_id: req.request_id, after })),
    );
    const all = [...first, ...rest];
    expectOneStream(all);
    expect(all.at(-1)!.parsed.event).toBe("completed");
    expect(all.filter((m) => m.event === "progress")).toHaveLength(50);
    expect(events.count("canceled.quality")).toBe(0);
  });

  it("keeps a delivered run's end a while (a reader cut off may come back for it), then forgets it", async () => {
    const { app } = makeApp();
    const req = validRequest({ steps: 2, detach_grace_ms: 300 });
    const whole = await read(await app.request(GENERATE, await streamInit(GENERATE, req)));
    expectOneStream(whole);
    const terminalId = whole.at(-1)!.id;
    const again = await read(
      await app.request(
        ATTACH,
        await streamInit(ATTACH, { request_id: req.request_id, after: terminalId - 1 }),
      ),
    );
    expect(again.map((m) => [m.id, m.event])).toEqual([[terminalId, "completed"]]);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const gone = await app.request(
      ATTACH,
      await streamInit(ATTACH, { request_id: req.request_id, after: 0 }),
    );
    expect(gone.status).toBe(404);
  });

  it("keeps the result of a run that finished while nobody read, and hands it out on attach", async () => {
    const { app, scheduler } = makeApp();
    const req = validRequest({ steps: 3, detach_grace_ms: 30_000 });
    const first = await read(
      await app.request(GENERATE, await streamInit(GENERATE, req)),
      (m) => m.event === "queued",
    );
    await vi.waitFor(() => expect(scheduler.inFlight()).toBe(0), { timeout: 30_000 });
    const rest = await read(
      await app.request(ATTACH, await streamInit(ATTACH, { request_id: req.request_id, after: 1 })),
    );
    expectOneStream([...first, ...rest]);
    const done = rest.at(-1)!.parsed;
    if (done.event !== "completed") throw new Error(`ended with ${done.event}`);
    expect(done.data.images).toHaveLength(1);
  });

  it("replays from any id the reader names: after 0 gives the whole stream again", async () => {
    const { app } = makeApp();
    const req = longRun({ steps: 20, detach_grace_ms: 30_000 });
    const first = await read(
      await app.request(GENERATE, await streamInit(GENERATE, req)),
      atStep(2),
    );
    const whole = await read(
      await app.request(ATTACH, await streamInit(ATTACH, { request_id: req.request_id, after: 0 })),
    );
    expectOneStream(whole);
    expect(whole.slice(0, first.length).map((m) => [m.id, m.event, m.data])).toEqual(
      first.map((m) => [m.id, m.event, m.data]),
    );
  });

  it("is canceled when no reader comes back within its grace, and then cannot be attached", async () => {
    const { app, scheduler, events } = makeApp();
    const req = longRun({ detach_grace_ms: 50 });
    await read(await app.request(GENERATE, await streamInit(GENERATE, req)), atStep(1));
    await vi.waitFor(() => expect(scheduler.inFlight()).toBe(0), { timeout: 30_000 });
    expect(events.count("canceled.quality")).toBe(1);
    const late = await app.request(
      ATTACH,
      await streamInit(ATTACH, { request_id: req.request_id, after: 0 }),
    );
    expect(late.status).toBe(404);
    const body = ErrorBodySchema.parse(await late.json());
    expect(body.error).toMatchObject({ code: "not_found", param: "request_id" });
  });

  it("gives the stream to the newest reader: an older one still attached is ended", async () => {
    const { app } = makeApp();
    const req = longRun({ steps: 30, detach_grace_ms: 30_000 });
    const first = await read(
      await app.request(GENERATE, await streamInit(GENERATE, req)),
      atStep(1),
    );
    const attach = { request_id: req.request_id, after: first.at(-1)!.id };
    // (A different body from the newer one's: the same signed bytes twice in a second are a replay.)
    const older = await app.request(ATTACH, await streamInit(ATTACH, { ...attach, after: 0 }));
    // Read the older one only until it has something, then let a newer reader take over.
    const olderReader = older.body!.pipeThrough(new TextDecoderStream()).getReader();
    await olderReader.read();
    const newer = read(await app.request(ATTACH, await streamInit(ATTACH, attach)));
    let olderText = "";
    for (;;) {
      const { value, done } = await olderReader.read();
      if (done) break;
      olderText += value;
    }
    expect(olderText).not.toMatch(/event: (completed|failed|canceled)/);
    const rest = await newer;
    expectOneStream([...first, ...rest]);
    expect(rest.at(-1)!.parsed.event).toBe("completed");
  });
});

describe("a streamed run without detach_grace_ms", () => {
  it("is canceled when its reader goes away, and attach knows nothing of it", async () => {
    const { app, scheduler, events } = makeApp();
    const req = longRun();
    await read(await app.request(GENERATE, await streamInit(GENERATE, req)), atStep(1));
    await vi.waitFor(() => expect(scheduler.inFlight()).toBe(0), { timeout: 30_000 });
    expect(events.count("canceled.quality")).toBe(1);
    const res = await app.request(
      ATTACH,
      await streamInit(ATTACH, { request_id: req.request_id, after: 0 }),
    );
    expect(res.status).toBe(404);
  });
});

describe("POST /internal/v1/attach bad input", () => {
  it.each([
    ["not JSON", "{", null],
    ["no request_id", JSON.stringify({ after: 0 }), "request_id"],
    ["a negative after", JSON.stringify({ request_id: "r", after: -1 }), "after"],
    ["a fractional after", JSON.stringify({ request_id: "r", after: 1.5 }), "after"],
    ["an unknown field", JSON.stringify({ request_id: "r", after: 0, tenant: "x" }), null],
  ])("answers 400 for %s", async (_, raw, param) => {
    const { app } = makeApp();
    const res = await app.request(ATTACH, await signedInit(ATTACH, raw));
    expect(res.status).toBe(400);
    const body = ErrorBodySchema.parse(await res.json());
    expect(body.error.code).toBe("invalid_request");
    if (param) expect(body.error.param).toBe(param);
  });

  it("refuses an unsigned attach with 401", async () => {
    const { app } = makeApp();
    const res = await app.request(ATTACH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ request_id: "r", after: 0 }),
    });
    expect(res.status).toBe(401);
  });
});

describe("event streams with nothing to say", () => {
  it("carry a keepalive comment every period, which readers skip, until the stream ends", async () => {
    // Admitted, then silent for a while (queued behind others, say), then failed.
    const scheduler = new ContinuousBatcher(pipeline);
    scheduler.submit = async (job: GenerationJob): Promise<JobOutcome> => {
      job.onEvent?.({ type: "queued", position: 3 });
      await new Promise((resolve) => setTimeout(resolve, 400));
      return { ok: false, reason: "runtime_error" };
    };
    const app = readyOriginApp(pipeline, scheduler, undefined, { sseKeepaliveMs: 50 });
    const req = validRequest({ detach_grace_ms: 30_000 });
    const res = await app.request(GENERATE, await streamInit(GENERATE, req));
    const text = await res.text();
    const keepalives = text.match(/^: keepalive\n\n/gm) ?? [];
    expect(keepalives.length).toBeGreaterThanOrEqual(3);
    // Between events only, never inside one; the events are as without them.
    const { messages, rest } = parseSse(text);
    expect(rest).toBe("");
    expect(messages.map((m) => [m.id, m.event])).toEqual([
      [1, "queued"],
      [2, "failed"],
    ]);
    expect(text.endsWith("\n\n")).toBe(true);
  });
});
