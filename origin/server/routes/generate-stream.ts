// The SSE form of POST /internal/v1/generate: admit first (errors stay JSON), then stream to a terminal event.
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { GenerationEvent } from "../../../protocol/events";
import { defaultPreviewEvery, type GenerateRequest } from "../../../protocol/generate";
import { EventRelay, type PreviewPlan } from "../event-relay";
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
}

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
 */
export async function streamGeneration(c: Context<OriginEnv>, run: StreamedGeneration) {
  const { completion, parts, req, started } = run;
  const closed = new AbortController();
  // Either the request's own signal (the connection) or the stream's reader going away cancels.
  const signal = AbortSignal.any([c.req.raw.signal, closed.signal]);
  const relay = new EventRelay(req.request_id, previewPlan(parts, req), () => closed.abort());
  const budgetMs = req.deadline_ms - (completion.now() - started);
  const pending = parts.scheduler.submit(jobFor(req, budgetMs, signal, relay.onJobEvent));
  await Promise.race([pending, relay.firstEvent]);
  if (!relay.admitted) {
    const outcome = await pending;
    if (!outcome.ok) throw failureError(outcome);
  }
  const requestId = c.get("requestId") ?? null;
  return streamSSE(c, async (stream) => {
    stream.onAbort(() => closed.abort());
    relay.attach((message) => stream.writeSSE(message));
    await relay.finish(await terminalEvent(run, pending, requestId));
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
