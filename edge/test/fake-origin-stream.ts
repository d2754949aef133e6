// A FAKE streaming origin for Workers tests: answers POST /internal/v1/generate with text/event-stream (queued,
// started, progress with previews, one terminal event), POST /internal/v1/cancel and POST /internal/v1/attach
// (a run sent with detach_grace_ms goes on when the edge hangs up), with scripted pauses and deaths.
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { errorBody } from "../../protocol/errors";
import { formatSse, type GenerationEvent } from "../../protocol/events";
import {
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
} from "../../protocol/generate";
import { SIGNATURE_HEADER } from "../../protocol/signing";
import { FAKE_ORIGINS, type OriginBehaviour, signedByEdge, succeed } from "./fake-origin";

export interface StreamCall {
  region: string;
  body: GenerateRequest;
  accept: string;
}

/** What one streamed generation does; `holdAt` and `dieAt` are step numbers. */
export interface StreamScript {
  /** After writing this step's progress, wait until the generation is canceled. */
  holdAt?: number;
  /** After this step's progress, cut the reader's connection; the run goes on (a proxy cut it). */
  dropAt?: number;
  /** After `queued`, wait (not started) until canceled or handed back (`handBack`). */
  holdQueued?: boolean;
  /** After writing this step's progress, drop the connection with no terminal event. */
  dieAt?: number;
  /** End with this `failed` event after the last step instead of `completed`. */
  failWith?: GenerationEvent & { event: "failed" };
  /** Wait this long before each step's progress event. */
  stepDelayMs?: number;
}

/** One run's events as sent (for attach), and where they go now. */
interface FakeRun {
  readonly log: { id: number; text: string }[];
  /** The reader now attached, if any. */
  sink: WritableStreamDefaultWriter<Uint8Array> | null;
  /** Whether the run goes on when its reader hangs up (it asked for detach_grace_ms). */
  readonly detachable: boolean;
  finished: boolean;
  /** The origin "died" (dieAt): nothing of the run is left to attach to. */
  dead: boolean;
}

export type StreamBehaviour =
  | { kind: "stream"; script: StreamScript }
  /** Any plain behaviour of the JSON fake (refuse, answer an error) before the first event. */
  | { kind: "plain"; behaviour: OriginBehaviour }
  /** A 200 event stream that closes before its first event. */
  | { kind: "silent" };

export const stream = (script: StreamScript = {}): StreamBehaviour => ({ kind: "stream", script });
export const plain = (behaviour: OriginBehaviour): StreamBehaviour => ({
  kind: "plain",
  behaviour,
});
export const silent: StreamBehaviour = { kind: "silent" };

/** A draining origin handing back work it had queued: queued, then `extra` events, then failed
 *  with not_ready. */
export const handBack = (
  extra: (call: { body: { request_id: string } }) => { event: string; data: unknown }[] = () => [],
): StreamBehaviour =>
  plain((call) => {
    const events = [
      { event: "queued", data: { request_id: call.body.request_id, position: 1 } },
      ...extra(call),
      { event: "failed", data: { error: errorBody("not_ready", "Origin is draining").error } },
    ].map((e, i) => formatSse({ id: i + 1, event: e.event, data: JSON.stringify(e.data) }));
    return new Response(events.join(""), { headers: { "content-type": "text/event-stream" } });
  });

/** An origin that starts the run, then ends it with a `completed` event that carries no image. */
export const completeWithoutImages: StreamBehaviour = plain(async (call) => {
  const answer = (await (await succeed()(call)).json()) as GenerateResponse;
  const events = [
    { event: "started", data: { request_id: call.body.request_id } },
    { event: "completed", data: { ...answer, images: [] } },
  ].map((e, i) => formatSse({ id: i + 1, event: e.event, data: JSON.stringify(e.data) }));
  return new Response(events.join(""), { headers: { "content-type": "text/event-stream" } });
});

/** A tiny "preview": a real 1×1 PNG, as the origin's latent projection would send a small image. */
const PREVIEW_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

interface Running {
  canceled: boolean;
  /** The origin drained before starting it (`handBack`). */
  handedBack: boolean;
  wake: () => void;
}

/** Region → hosts: the fake's `.test` hosts and whatever ORIGINS the Worker's own bindings name. */
function originHosts(): Map<string, string> {
  const hosts = new Map<string, string>();
  const configured = JSON.parse(env.ORIGINS) as { region: string; url: string }[];
  for (const o of [...FAKE_ORIGINS, ...configured]) hosts.set(new URL(o.url).host, o.region);
  return hosts;
}

export function installStreamingOrigin(
  behaviours: Record<string, StreamBehaviour> = {},
  options: { other?: (request: Request) => Response | Promise<Response> } = {},
) {
  const calls: StreamCall[] = [];
  const cancels: string[] = [];
  const attaches: { requestId: string; after: number }[] = [];
  const running = new Map<string, Running>();
  const seenSignatures = new Set<string>();
  /** Generations whose caller (the edge) aborted the call, in order. */
  const hungUp: string[] = [];
  /** Detachable runs a reader may attach to, until their terminal event reaches one. */
  const runs = new Map<string, FakeRun>();
  const hosts = originHosts();

  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const region = hosts.get(url.host);
    if (!region) {
      if (options.other) return options.other(request);
      throw new TypeError(`fake origin: unexpected fetch to ${url.host}`);
    }
    const raw = await request.text();
    if (!(await signedByEdge(request, url, raw))) {
      return Response.json(errorBody("invalid_signature", "bad"), { status: 401 });
    }
    // Like the real origin's replay guard: the same signed bytes twice are refused.
    const signature = request.headers.get(SIGNATURE_HEADER) ?? "";
    if (seenSignatures.has(signature)) {
      return Response.json(errorBody("invalid_signature", "replayed"), { status: 401 });
    }
    seenSignatures.add(signature);
    if (url.pathname === "/internal/v1/cancel") {
      const id = (JSON.parse(raw) as { request_id: string }).request_id;
      cancels.push(id);
      const job = running.get(id);
      if (!job) return Response.json(errorBody("not_found", "no such job"), { status: 404 });
      job.canceled = true;
      job.wake();
      return Response.json({ request_id: id, canceled: true });
    }
    if (url.pathname === "/internal/v1/attach") {
      const { request_id, after } = JSON.parse(raw) as { request_id: string; after: number };
      attaches.push({ requestId: request_id, after });
      const run = runs.get(request_id);
      if (!run || run.dead)
        return Response.json(errorBody("not_found", "no such run"), { status: 404 });
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      const writer = writable.getWriter();
      hangUpOn(request.signal, run, writer);
      void (async () => {
        for (const message of run.log)
          if (message.id > after) await writer.write(encode(message.text));
        if (run.finished) {
          runs.delete(request_id);
          await writer.close();
        } else run.sink = writer;
      })().catch(() => {});
      return new Response(readable, { headers: { "content-type": "text/event-stream" } });
    }
    const body = GenerateRequestSchema.parse(JSON.parse(raw));
    calls.push({ region, body, accept: request.headers.get("accept") ?? "" });
    // Like the real origin: events only to a caller that asks for them (Accept), JSON otherwise.
    const accept = request.headers.get("accept") ?? "";
    const behaviour =
      behaviours[region] ?? (/text\/event-stream/.test(accept) ? stream() : plain(succeed()));
    if (behaviour.kind === "plain")
      return behaviour.behaviour({ region, body, headers: request.headers } as never);
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    if (behaviour.kind === "silent") {
      writable.close().catch(() => {});
    } else {
      const job: Running = { canceled: false, handedBack: false, wake: () => {} };
      running.set(body.request_id, job);
      const script = behaviour.script;
      // Woken only by a cancel, which arrives in the same (the job's) context: promises created
      // in the test's context and resolved from a Durable Object's would never wake it.
      const held = () =>
        new Promise<void>((resolve) => {
          job.wake = resolve;
        });
      const sink = writable.getWriter();
      const run: FakeRun = {
        log: [],
        sink,
        detachable: (body.detach_grace_ms ?? 0) > 0,
        finished: false,
        dead: false,
      };
      if (run.detachable) runs.set(body.request_id, run);
      // The edge hanging up (aborting its fetch) ends this reader, as a closed socket would.
      hangUpOn(request.signal, run, sink, () => hungUp.push(body.request_id));
      play({ region, body, script, job, run, held }).finally(() => {
        running.delete(body.request_id);
        run.finished = true;
      });
    }
    return new Response(readable, { headers: { "content-type": "text/event-stream" } });
  });

  return {
    calls,
    cancels,
    /** Every attach asked for, in order. */
    attaches,
    hungUp,
    /** As if the origin drained before starting a `holdQueued` run: it fails it with not_ready. */
    handBack: (requestId: string) => {
      const job = running.get(requestId);
      if (!job) return false;
      job.handedBack = true;
      job.wake();
      return true;
    },
    /** As if the origin restarted: an attach to this run answers 404 from now on. */
    forget: (requestId: string) => runs.delete(requestId),
    spy,
    /** True while a generation with this request id is streaming (not canceled, not finished). */
    isRunning: (requestId: string) => running.has(requestId),
  };
}

/** When `signal` aborts, `writer`'s reader errors (the edge sees its read fail) and the run loses it. */
function hangUpOn(
  signal: AbortSignal,
  run: FakeRun,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  onHangUp: () => void = () => {},
): void {
  signal.addEventListener(
    "abort",
    () => {
      onHangUp();
      if (run.sink === writer) run.sink = null;
      writer.abort(signal.reason).catch(() => {});
    },
    { once: true },
  );
}

const encoder = new TextEncoder();
const encode = (text: string) => encoder.encode(text);

async function play(args: {
  region: string;
  body: GenerateRequest;
  script: StreamScript;
  job: Running;
  run: FakeRun;
  held: () => Promise<void>;
}): Promise<void> {
  const { region, body, script, job, run, held } = args;
  let id = 0;
  /** Logs it and writes it to the reader; a reader gone stops the run unless it is detachable. */
  const send = async (event: GenerationEvent) => {
    id += 1;
    const text = formatSse({ id, event: event.event, data: JSON.stringify(event.data) });
    run.log.push({ id, text });
    const sink = run.sink;
    if (!sink) return;
    try {
      await sink.write(encode(text));
    } catch (error) {
      run.sink = null;
      if (!run.detachable) throw error;
    }
  };
  const request_id = body.request_id;
  const every = body.preview_every ?? 1;
  try {
    await send({ event: "queued", data: { request_id, position: 1 } });
    if (script.holdQueued) await held();
    if (job.handedBack) {
      const error = errorBody("not_ready", "Origin is draining; try another region.").error;
      return void (await send({ event: "failed", data: { error } }));
    }
    if (job.canceled) return void (await send({ event: "canceled", data: { request_id } }));
    await send({ event: "started", data: { request_id } });
    for (let step = 1; step <= body.steps; step++) {
      if (job.canceled) return void (await send({ event: "canceled", data: { request_id } }));
      if (script.stepDelayMs) await new Promise((r) => setTimeout(r, script.stepDelayMs));
      const preview =
        every > 0 && (step - 1) % every === 0
          ? { format: "png" as const, b64: PREVIEW_PNG, width: 1, height: 1 }
          : undefined;
      await send({
        event: "progress",
        data: { request_id, step, steps: body.steps, ...(preview ? { preview } : {}) },
      });
      if (script.dieAt === step) {
        run.dead = true;
        await run.sink?.abort(new Error("fake origin died"));
        run.sink = null;
        return;
      }
      if (script.dropAt === step) {
        await run.sink?.abort(new Error("connection cut"));
        run.sink = null;
      }
      if (script.holdAt === step) await held();
    }
    if (job.canceled) return void (await send({ event: "canceled", data: { request_id } }));
    if (script.failWith) return void (await send(script.failWith));
    const completed = (await (
      await succeed()({ region, body, headers: new Headers() } as never)
    ).json()) as GenerateResponse;
    await send({ event: "completed", data: completed });
  } catch {
    // The edge hung up: like the real origin, stop.
  } finally {
    run.sink?.close().catch(() => {});
  }
}
