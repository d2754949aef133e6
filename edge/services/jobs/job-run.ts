// One job's trip to an origin: stream its events into the job's log, and turn the end into an outcome.
import { type GenerationEvent, isTerminal } from "../../../protocol/events";
import type { GenerateResponse } from "../../../protocol/generate";
import { routeQueryFor, streamRequest } from "../generation/origin-request";
import { type ImageStore, storeGeneratedImages } from "../images/image-store";
import type { FetchLike } from "../origins/origin-call";
import type { OriginTarget } from "../origins/origin-config";
import type { RegionRouter, RouteQuery } from "../regions/region-router";
import { openHandoffStream, untilHandedBack } from "./handoff-stream";
import { failureAsJobError } from "./job-errors";
import type { JobError, JobEvent, JobResult, JobSpec } from "./job-spec";
import { openAttachStream, StreamStop } from "./origin-stream";
import type { StreamedEvent } from "./sse-event-reader";

export type JobEnd =
  | { readonly status: "completed"; readonly result: JobResult }
  | { readonly status: "failed"; readonly error: JobError }
  | { readonly status: "canceled" };

/** What one stretch of following a run gives: its end, or a handover (the run goes on at the
 *  origin, and the next alarm attaches to it with `resumeJob`). */
export type RunStretch =
  | JobEnd
  | { readonly status: "handover" }
  /** The stream broke off mid-run: the run may go on at the origin, and attaching may find it. */
  | { readonly status: "dropped"; readonly error: JobError };

/** What attaching gives besides: the origin handed the job back (it drained before starting it). */
export type ResumedStretch = RunStretch | { readonly status: "handed_back" };

export interface JobRunDeps {
  readonly spec: JobSpec;
  readonly regions: RegionRouter;
  readonly images: ImageStore;
  readonly secret: string;
  /** Aborted with a StreamStop: "canceled" (the client asked), "deadline" (the watchdog past the
   *  deadline) or "handover" (the watchdog before it). */
  readonly signal: AbortSignal;
  /** The origin that took the job: where a cancel must go. */
  readonly onDispatched: (origin: OriginTarget) => void;
  /** Appends one non-terminal event to the job's log (and pushes it to open streams). */
  readonly emit: (event: JobEvent) => void;
  /**
   * When to stop following and hand the run over (a Durable Object alarm may last 15 minutes): the
   * stream closes, the origin keeps the run for DETACH_GRACE_MS, and `resumeJob` attaches to it.
   */
  readonly handoverAtMs?: number;
  /** Each origin event taken, by its SSE id there: the cursor `resumeJob` continues after. */
  readonly onEventTaken?: (id: number) => void;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
  /** Regions not to send the job to (one that handed it back). */
  readonly excludeRegions?: readonly string[];
}

/** Below this much of its deadline left, a job is not sent anywhere: no origin could finish it. */
const MIN_RUN_BUDGET_MS = 1_000;
/**
 * How long the origin keeps a job's run going with nobody reading (`detach_grace_ms`): the gap
 * between one alarm's handover and the next one's attach, normally milliseconds; an object that
 * restarts instead has this long for its alarm to come back.
 */
export const DETACH_GRACE_MS = 60_000;
/** Waits before attaching again to an origin that did not answer, well within its grace. */
const ATTACH_RETRY_MS = [1_000, 4_000];

const canceled = (signal: AbortSignal) =>
  signal.reason instanceof StreamStop && signal.reason.why === "canceled";

/** Never throws for an expected failure: every way out is a JobEnd the caller settles and logs. */
export async function runJob(deps: JobRunDeps): Promise<RunStretch> {
  const { spec } = deps;
  const now = deps.now ?? Date.now;
  const started = now();
  // The deadline runs from the job's creation, as its reservation's lease does: a run that starts
  // late (a delayed alarm, a retry) gets only what is left, and none past it, when the slot and
  // the quota it would use have gone back to the tenant.
  const budgetMs = spec.plan.deadlineMs - (started - spec.createdAtMs);
  if (budgetMs < MIN_RUN_BUDGET_MS) {
    const late = { kind: "deadline_exceeded", region: null } as const;
    return { status: "failed", error: failureAsJobError(late, spec.requestId) };
  }
  const excluded = new Set(deps.excludeRegions ?? []);
  const candidates = (await deps.regions.candidates(routeQuery(spec))).filter(
    (c) => !excluded.has(c.region),
  );
  // An origin that drains while the job is queued there hands it on to the next region.
  let region = "";
  const handover = new AbortController();
  const signal = AbortSignal.any([deps.signal, handover.signal]);
  const request = { ...streamRequest(spec.plan, spec), detach_grace_ms: DETACH_GRACE_MS };
  const opened = await openHandoffStream(candidates, request, {
    secret: deps.secret,
    traceparent: spec.traceparent,
    budgetMs,
    signal,
    record: (name, verdict, startedAt) => deps.regions.record(name, verdict, startedAt),
    onOrigin: (origin) => {
      region = origin.region;
      deps.onDispatched(origin);
    },
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    now,
  });
  if (!opened.ok) {
    if (canceled(deps.signal)) return { status: "canceled" };
    return { status: "failed", error: failureAsJobError(opened.failure, spec.requestId) };
  }
  return followUntilHandover(deps, handover, () =>
    follow(deps, () => region, opened.events, started, now, signal),
  );
}

/**
 * Attaches to the job's run at `origin` (started by an earlier alarm, which handed it over) and
 * follows it from the event after SSE id `after`. Null when the origin no longer has the run (its
 * grace ran out, or it restarted): nothing more will come of it. `handed_back` when the origin
 * drained before the work started there (`started`: whether it had): it may run elsewhere.
 */
export async function resumeJob(
  deps: JobRunDeps,
  origin: OriginTarget,
  after: number,
  started: boolean,
): Promise<ResumedStretch | null> {
  const { spec } = deps;
  const now = deps.now ?? Date.now;
  const handover = new AbortController();
  const signal = AbortSignal.any([deps.signal, handover.signal]);
  const attach = () =>
    openAttachStream(origin, spec.generationId, after, {
      secret: deps.secret,
      traceparent: spec.traceparent,
      budgetMs: spec.plan.deadlineMs - (now() - spec.createdAtMs),
      signal,
      record: (name, verdict, startedAt) => deps.regions.record(name, verdict, startedAt),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
  let opened = await attach();
  // No answer (a blip, a proxy's 5xx) is not "gone": the origin keeps the run for its grace.
  for (const waitMs of ATTACH_RETRY_MS) {
    if (opened.ok || opened.status === "gone" || signal.aborted) break;
    await abortableDelay(waitMs, signal);
    if (signal.aborted) break;
    opened = await attach();
  }
  if (!opened.ok) return canceled(deps.signal) ? { status: "canceled" } : null;
  const region = () => origin.region;
  const attached = opened.events;
  let handedBack = false;
  async function* events() {
    handedBack = yield* untilHandedBack(attached, started);
  }
  const end = await followUntilHandover(deps, handover, () =>
    follow(deps, region, events(), spec.createdAtMs, now, signal),
  );
  return handedBack ? { status: "handed_back" } : end;
}

/** Resolves after `ms`, or at once when `signal` aborts (a cancel need not wait out a retry). */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Runs `follow` with the handover timer armed (from the moment the stream is open). */
async function followUntilHandover(
  deps: JobRunDeps,
  handover: AbortController,
  run: () => Promise<RunStretch>,
): Promise<RunStretch> {
  const now = deps.now ?? Date.now;
  const at = deps.handoverAtMs;
  const timer =
    at === undefined
      ? null
      : setTimeout(() => handover.abort(new StreamStop("handover")), Math.max(0, at - now()));
  try {
    return await run();
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}

/** Relays the origins' events into the job's log until the terminal event. */
async function follow(
  deps: JobRunDeps,
  region: () => string,
  events: AsyncGenerator<StreamedEvent, void>,
  started: number,
  now: () => number,
  signal: AbortSignal,
): Promise<RunStretch> {
  const { spec } = deps;
  const job_id = spec.jobId;
  for await (const streamed of events) {
    const { event, data } = streamed as GenerationEvent;
    if (streamed.id !== undefined && !isTerminal(event)) deps.onEventTaken?.(streamed.id);
    if (event === "queued") deps.emit({ event, data: { job_id, position: data.position } });
    else if (event === "started") deps.emit({ event, data: { job_id, region: region() } });
    else if (event === "progress") {
      const { step, steps, preview } = data;
      deps.emit({ event, data: { job_id, step, steps, ...(preview ? { preview } : {}) } });
    } else if (event === "completed") {
      return deliver(deps, region(), data, now() - started);
    } else if (event === "failed") {
      const error = { ...data.error, request_id: spec.requestId };
      return streamed.lost ? { status: "dropped", error } : { status: "failed", error };
    } else {
      return { status: "canceled" };
    }
  }
  // Handed over: the stream ended without a terminal event on purpose.
  if (signal.reason instanceof StreamStop && signal.reason.why === "handover") {
    return { status: "handover" };
  }
  // The events always end with a terminal event otherwise; this is the type system's due.
  return {
    status: "failed",
    error: failureAsJobError({ kind: "upstream_error", region: region() }, spec.requestId),
  };
}

/** The job's images go to R2 under the tenant's prefix; the client gets URLs, never inline bytes. */
async function deliver(
  deps: JobRunDeps,
  region: string,
  response: GenerateResponse,
  edgeMs: number,
): Promise<JobEnd> {
  const { spec } = deps;
  const generated = response.images.slice(0, spec.plan.n);
  const stored = await storeGeneratedImages(deps.images, spec.tenantId, generated).catch(
    () => null,
  );
  if (!stored) {
    const message = "The images were generated but could not be stored; nothing was charged.";
    return { status: "failed", error: jobError("internal_error", message, spec.requestId) };
  }
  const meta = response.metadata;
  const { total_ms: originTotal, ...stages } = meta.timings;
  return {
    status: "completed",
    result: {
      images: stored.map((image, i) => ({
        id: image.id,
        url: `${spec.urlBase}/v1/images/${image.id}`,
        seed: generated[i]?.seed ?? 0,
        sha256: image.sha256,
        format: image.format,
        width: generated[i]?.width ?? spec.plan.width,
        height: generated[i]?.height ?? spec.plan.height,
      })),
      region,
      model: meta.model,
      model_hash: meta.model_hash,
      steps: meta.steps,
      scheduler: meta.scheduler,
      guidance_scale: meta.guidance_scale,
      degraded: meta.degraded ?? null,
      timings: { ...stages, origin_total_ms: originTotal, edge_ms: edgeMs },
    },
  };
}

function jobError(code: JobError["code"], message: string, requestId: string): JobError {
  return failureAsJobError({ kind: "internal", code, message }, requestId);
}

function routeQuery(spec: JobSpec): RouteQuery {
  return routeQueryFor(spec.plan, spec.route);
}
