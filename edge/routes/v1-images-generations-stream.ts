// POST /v1/images/generations with stream: true: the origin's progress as OpenAI's image streaming events.
import type { Context } from "hono";
import type { GenerationEvent } from "../../protocol/events";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import { traceparentFor } from "../middleware/request-id";
import type { GenerationPlan } from "../services/generation/generation-plan";
import { routeQueryFor, streamRequest } from "../services/generation/origin-request";
import { newId } from "../services/ids/random-base62";
import { admitGeneration } from "../services/jobs/admit-generation";
import { openHandoffStream } from "../services/jobs/handoff-stream";
import { StreamStop } from "../services/jobs/origin-stream";
import { HeartbeatWriter, sseHeartbeatMs } from "../services/streams/sse-heartbeat";
import { rateLimitHeaders } from "../services/tenant-gate/rate-limit-headers";
import { routeOrigin } from "./v1-images-generations";
import { generationError } from "./v1-images-generations-errors";
import { type CreateImageRequest, MAX_PARTIAL_IMAGES } from "./v1-images-generations-schema";
import { openAiStreamEvents, type StreamShape } from "./v1-images-generations-stream-events";

/** A preview every this many steps yields about `partials` of them over the run (at least one step apart). */
export function previewEvery(steps: number, partials: number): number {
  return partials === 0
    ? 0
    : Math.max(1, Math.ceil(steps / Math.min(partials, MAX_PARTIAL_IMAGES)));
}

/**
 * Everything that can refuse the request (safety, admission, no origin before its first event)
 * answers as a plain JSON error, as the non-streaming route would; only then does a 200 stream
 * begin, and it always ends with `image_generation.completed` per image or one `error` event.
 * An Idempotency-Key is refused: a stream cannot be replayed.
 */
export async function streamImages(
  c: Context<AppEnv>,
  plan: GenerationPlan,
  body: CreateImageRequest,
): Promise<Response> {
  if (c.req.header("idempotency-key") !== undefined) {
    throw new ApiError("invalid_request", "Idempotency-Key is not supported with stream: true.", {
      param: "Idempotency-Key",
    });
  }
  const auth = c.get("auth");
  const services = c.get("services");
  const generationId = newId("gen");
  const note = (fields: Parameters<AppEnv["Variables"]["audit"]["note"]>[0]) =>
    c.get("audit").note(fields);
  const limits = {
    rate_limit_per_minute: auth.tenant.rateLimitPerMinute,
    max_concurrency: auth.tenant.maxConcurrency,
    monthly_image_quota: auth.tenant.monthlyImageQuota,
  };
  const admission = await admitGeneration(
    { gate: services.gate, safetyTerms: services.safetyTerms, note },
    plan,
    { generationId, tenantId: auth.tenantId, limits },
  );
  if (!admission.ok) throw generationError(admission);
  const settle = (delivered: number) =>
    services.gate.settle(auth.tenantId, generationId, delivered).then(
      (settled) => note({ costCharged: settled.status === "unknown" ? 0 : settled.chargedUnits }),
      () => {}, // the reservation's lease refunds it
    );
  const identity = { generationId, tenantId: auth.tenantId, storePrompt: auth.tenant.storePrompts };
  const partials = body.partial_images ?? 0;
  const request = streamRequest(
    plan,
    { ...identity, safety: admission.safety },
    previewEvery(plan.steps, partials),
  );
  // Its region is the origin's that runs it: a hand-back before it started moves it on.
  const shape: StreamShape = { plan, body, partials, requestId: c.get("requestId"), region: "" };
  // Admitted: whatever throws before the stream is handed on releases the hold first.
  // The client hanging up, seen even while the origin is silent (a failed heartbeat): the origin
  // call is closed, which cancels the work there.
  const clientGone = new AbortController();
  const opened = await (async () => {
    const candidates = await services.regions.candidates(
      routeQueryFor(plan, routeOrigin(c, auth.tenant.residency)),
    );
    // An origin that drains while the generation is queued there hands it on to the next region.
    return openHandoffStream(candidates, request, {
      secret: c.env.ORIGIN_SHARED_SECRET,
      traceparent: traceparentFor(c.get("traceId")),
      budgetMs: plan.deadlineMs,
      record: (region, verdict, startedAt) => services.regions.record(region, verdict, startedAt),
      signal: clientGone.signal,
      onOrigin: (origin) => {
        shape.region = origin.region;
        note({ region: origin.region });
      },
    });
  })().catch(async (error: unknown) => {
    await settle(0);
    throw error;
  });
  if (!opened.ok) {
    await settle(0);
    throw generationError({
      ok: false,
      reason: "origin",
      failure: opened.failure,
      rateLimit: admission.rateLimit,
    });
  }
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  // A quality image can wait queued at the origin long past a proxy's idle timeout: keepalives.
  const writer = new HeartbeatWriter(writable.getWriter(), sseHeartbeatMs(c.env));
  writer.closed.catch(() => clientGone.abort(new StreamStop("canceled")));
  const pumped = pump(opened.events, writer, shape, settle, (errorCode) => note({ errorCode }));
  c.executionCtx.waitUntil(pumped);
  // Audited when the stream ends: with what was delivered and charged, not as the headers leave.
  c.get("audit").holdUntil(pumped);
  return new Response(readable, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-request-id": c.get("requestId"),
      "x-darkroom-region": opened.origin.region,
      "x-darkroom-tier": plan.tier,
      ...rateLimitHeaders(admission.rateLimit),
    },
  });
}

/** Writes until the terminal event, then settles: the final images are charged once they are written. */
async function pump(
  events: AsyncGenerator<GenerationEvent, void>,
  writer: HeartbeatWriter,
  shape: StreamShape,
  settle: (delivered: number) => Promise<void>,
  /** How the stream failed, for the audit record (its HTTP status was 200 before it began). */
  failed: (errorCode: string) => void,
): Promise<void> {
  const encoder = new TextEncoder();
  const mapped = openAiStreamEvents(shape);
  let delivered = 0;
  try {
    for await (const event of events) {
      for (const message of mapped(event)) {
        await writer.write(encoder.encode(`event: ${message.event}\ndata: ${message.data}\n\n`));
      }
      if (event.event === "completed") delivered = Math.min(event.data.images.length, shape.plan.n);
      else if (event.event === "failed") failed(event.data.error.code);
      else if (event.event === "canceled") failed("canceled");
    }
    await writer.close();
  } catch {
    if (delivered === 0) failed("client_disconnected");
    // The client went away: closing the generator closes the origin connection, which cancels there.
    // `delivered` is set only once the completed event's images were all written, so a failure
    // after that (the close) still charges them, and one before it charges nothing.
    writer.abort().catch(() => {}); // first: its heartbeat stops even if the return throws
    await events.return();
  } finally {
    await settle(delivered);
  }
}
