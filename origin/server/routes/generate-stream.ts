// The SSE form of POST /internal/v1/generate: admit first (errors stay JSON), then stream to a terminal event.
import type { Context } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { GenerationEvent } from "../../../protocol/events";
import { defaultPreviewEvery, type GenerateRequest } from "../../../protocol/generate";
import type { DetachedRuns } from "../detached-runs";
import { EventRelay, type PreviewPlan, type RelayAttachment } from "../event-relay";
import { type CompletionDeps, completedBody, failureError, jobFor } from "../generation-outcome";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import type { ServingParts } from "../origin-state";

export function wantsEventStream(accept: string | undefined): boolean {
  return /\btext\/event-stream\b/i.test(accept ?? "");
}

export interface StreamedGeneration {
  completion: CompletionDeps;
  parts: ServingParts;
  req: GenerateRequest;
  started: number;
  /** Where a detachable run (`detach_grace_ms`) waits for its reader to come back. */
  detached: DetachedRuns;
  /** A comment line this often keeps a silent stream (a job queued for minutes) open. */
  keepaliveMs?: number;
}

/**
 * How often a stream with nothing to say writes an SSE comment: proxies and load balancers in
 * front of an origin (an ingress's 60 s read timeout, say) close connections idle for longer.
 */
export const SSE_KEEPALIVE_MS = 15_000;

function previewPlan(parts: ServingParts, req: GenerateRequest): PreviewPlan | null {
  const every = req.preview_every ?? defaultPreviewEvery(req.tier);
  if (!parts.preview || every === 0) return null;
  const { h, w } = parts.pipeline.latentSize(req.width, req.height);
  return { projection: parts.preview, every, latentHeight: h, latentWidth: w };
}

/**
 * Submits the job, waits until the scheduler has either admitted it (its `queued` event) or refused
 * it, and only then answers: a refusal throws (plain JSON, so the edge can fail over before the
 * first byte); an admitted job streams, and every path out of the stream writes one terminal event.
 * The reader going away cancels the run, unless the request asked for a detach grace: then the run
 * goes on, and `POST /internal/v1/attach` may pick it up again within the grace.
 */
export async function streamGeneration(c: Context<OriginEnv>, run: StreamedGeneration) {
  const { completion, parts, req, started, detached } = run;
  const graceMs = req.detach_grace_ms ?? 0;
  const stop = new AbortController();
  const relay: EventRelay = new EventRelay(req.request_id, {
    preview: previewPlan(parts, req),
    keepLog: graceMs > 0,
    onDetached: () => (graceMs > 0 ? detached.detached(req.request_id, relay) : stop.abort()),
    onDelivered: () => detached.delivered(req.request_id, relay),
  });
  // A detachable run outlives its connection; any other stops with it.
  const signal = graceMs > 0 ? stop.signal : AbortSignal.any([c.req.raw.signal, stop.signal]);
  const budgetMs = req.deadline_ms - (completion.now() - started);
  const pending = parts.scheduler.submit(jobFor(req, budgetMs, signal, relay.onJobEvent));
  await Promise.race([pending, relay.firstEvent]);
  if (!relay.admitted) {
    const outcome = await pending;
    if (!outcome.ok) throw failureError(outcome);
  }
  const requestId = c.get("requestId") ?? null;
  // The edge gave up before the admission came (and tried elsewhere): nobody will read this one.
  if (graceMs > 0 && c.req.raw.signal.aborted) stop.abort();
  else if (graceMs > 0) detached.add(req.request_id, relay, graceMs, () => stop.abort());
  // The run's end goes to the relay whether or not anyone is reading then.
  void terminalEvent(run, pending, requestId).then((terminal) => relay.finish(terminal));
  return streamSSE(c, async (stream) => {
    const attachment = relay.attach((message) => stream.writeSSE(message));
    stream.onAbort(() => relay.close(attachment));
    await keptOpen(stream, attachment, run.keepaliveMs ?? SSE_KEEPALIVE_MS);
  });
}

/** Until the reader has everything (or is gone), a comment every `everyMs`: SSE readers skip it. */
async function keptOpen(stream: SSEStreamingApi, attachment: RelayAttachment, everyMs: number) {
  const timer = setInterval(() => {
    stream.write(": keepalive\n\n").catch(() => {});
  }, everyMs);
  try {
    await attachment.ended;
  } finally {
    clearInterval(timer);
  }
}

/** `POST /internal/v1/attach`'s stream: a detached run's missed events, then the live ones. */
export function reattachStream(
  c: Context<OriginEnv>,
  relay: EventRelay,
  after: number,
  keepaliveMs = SSE_KEEPALIVE_MS,
) {
  return streamSSE(c, async (stream) => {
    const attachment = relay.reattach(after, (message) => stream.writeSSE(message));
    stream.onAbort(() => relay.close(attachment));
    await keptOpen(stream, attachment, keepaliveMs);
  });
}

async function terminalEvent(
  run: StreamedGeneration,
  pending: ReturnType<ServingParts["scheduler"]["submit"]>,
  requestId: string | null,
): Promise<GenerationEvent> {
  const { completion, parts, req, started } = run;
  try {
    const outcome = await pending;
    if (outcome.ok) {
      const body = await completedBody(completion, parts, req, outcome.result, started);
      return { event: "completed", data: body };
    }
    if (outcome.reason === "canceled") {
      return { event: "canceled", data: { request_id: req.request_id } };
    }
    return { event: "failed", data: { error: failureError(outcome).body(requestId).error } };
  } catch (error) {
    console.error("origin: stream failed after start", error);
    const e = new OriginError("internal_error", "Generation failed after it started.");
    return { event: "failed", data: { error: e.body(requestId).error } };
  }
}
