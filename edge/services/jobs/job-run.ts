// One job's trip to an origin: stream its events into the job's log, and turn the end into an outcome.
import type { GenerationEvent } from "../../../protocol/events";
import type { GenerateResponse } from "../../../protocol/generate";
import { routeQueryFor, streamRequest } from "../generation/origin-request";
import { type ImageStore, storeGeneratedImages } from "../images/image-store";
import type { FetchLike } from "../origins/origin-call";
import type { OriginTarget } from "../origins/origin-config";
import type { RegionRouter, RouteQuery } from "../regions/region-router";
import { openHandoffStream } from "./handoff-stream";
import { failureAsJobError } from "./job-errors";
import type { JobError, JobEvent, JobResult, JobSpec } from "./job-spec";
import { StreamStop } from "./origin-stream";

export type JobEnd =
  | { readonly status: "completed"; readonly result: JobResult }
  | { readonly status: "failed"; readonly error: JobError }
  | { readonly status: "canceled" };

export interface JobRunDeps {
  readonly spec: JobSpec;
  readonly regions: RegionRouter;
  readonly images: ImageStore;
  readonly secret: string;
  /** Aborted with a StreamStop: "canceled" (the client asked) or "deadline" (the watchdog). */
  readonly signal: AbortSignal;
  /** The origin that took the job: where a cancel must go. */
  readonly onDispatched: (origin: OriginTarget) => void;
  /** Appends one non-terminal event to the job's log (and pushes it to open streams). */
  readonly emit: (event: JobEvent) => void;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
}

/** Below this much of its deadline left, a job is not sent anywhere: no origin could finish it. */
const MIN_RUN_BUDGET_MS = 1_000;

const canceled = (signal: AbortSignal) =>
  signal.reason instanceof StreamStop && signal.reason.why === "canceled";

/** Never throws for an expected failure: every way out is a JobEnd the caller settles and logs. */
export async function runJob(deps: JobRunDeps): Promise<JobEnd> {
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
  const candidates = await deps.regions.candidates(routeQuery(spec));
  // An origin that drains while the job is queued there hands it on to the next region.
  let region = "";
  const opened = await openHandoffStream(candidates, streamRequest(spec.plan, spec), {
    secret: deps.secret,
    traceparent: spec.traceparent,
    budgetMs,
    signal: deps.signal,
    record: (name, verdict) => deps.regions.record(name, verdict),
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
  return follow(deps, () => region, opened.events, started, now);
}

/** Relays the origins' events into the job's log until the terminal event. */
async function follow(
  deps: JobRunDeps,
  region: () => string,
  events: AsyncGenerator<GenerationEvent, void>,
  started: number,
  now: () => number,
): Promise<JobEnd> {
  const { spec } = deps;
  const job_id = spec.jobId;
  for await (const { event, data } of events) {
    if (event === "queued") deps.emit({ event, data: { job_id, position: data.position } });
    else if (event === "started") deps.emit({ event, data: { job_id, region: region() } });
    else if (event === "progress") {
      const { step, steps, preview } = data;
      deps.emit({ event, data: { job_id, step, steps, ...(preview ? { preview } : {}) } });
    } else if (event === "completed") {
      return deliver(deps, region(), data, now() - started);
    } else if (event === "failed") {
      return { status: "failed", error: { ...data.error, request_id: spec.requestId } };
    } else {
      return { status: "canceled" };
    }
  }
  // The events always end with a terminal event; this is the type system's due.
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
