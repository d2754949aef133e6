// Between a validated request and the scheduler: the job it submits, and what its outcome becomes.
import type { GenerateRequest, GenerateResponse } from "../../protocol/generate";
import type { GenerationJob, JobOutcome, JobResult } from "../scheduler/job-scheduler";
import { encodeImages, responseBody, servedRequest } from "./encode-response";
import type { OriginMetrics } from "./metrics";
import { OriginError } from "./origin-error";
import type { ServingParts } from "./origin-state";

/** The scheduler job for a validated request; `signal` aborts it (client gone, stream closed). */
export function jobFor(
  req: GenerateRequest,
  budgetMs: number,
  signal: AbortSignal,
  onEvent?: GenerationJob["onEvent"],
): GenerationJob {
  return {
    requestId: req.request_id,
    tier: req.tier,
    priority: req.priority,
    params: req,
    tenantId: req.tenant_id,
    budgetMs,
    allowDegrade: req.allow_degrade,
    resumeFrom: req.resume && {
      requestId: req.resume.request_id,
      imageIndex: req.resume.image_index,
      fromStep: req.resume.from_step,
    },
    signal,
    ...(onEvent ? { onEvent } : {}),
  };
}

/** Maps a scheduler failure to the protocol's error codes. */
export function failureError(outcome: Extract<JobOutcome, { ok: false }>): OriginError {
  const retry = Math.ceil((outcome.retryAfterMs ?? 1000) / 1000);
  switch (outcome.reason) {
    case "draining":
      return new OriginError("not_ready", "Origin is draining; try another region.");
    case "overloaded":
      return new OriginError(
        "overloaded",
        "Origin cannot meet the deadline; retry later.",
        null,
        retry,
      );
    case "deadline_exceeded":
      return new OriginError(
        "deadline_exceeded",
        outcome.message ?? "The request's deadline passed before it finished.",
      );
    case "canceled":
      return new OriginError("not_found", "The request was canceled.");
    case "latent_not_found":
      return new OriginError(
        "not_found",
        "No cached latent for resume; run the original again.",
        "resume.request_id",
      );
    case "latent_mismatch":
      return new OriginError(
        "invalid_request",
        outcome.message ?? "resume parameters differ.",
        "resume",
      );
    case "runtime_error":
      return new OriginError(
        "internal_error",
        "Inference failed on this origin; try another region.",
      );
  }
}

export interface CompletionDeps {
  metrics: OriginMetrics;
  region: string;
  now: () => number;
}

/** A finished job → the response body (also the stream's `completed` event), with metrics. */
export async function completedBody(
  deps: CompletionDeps,
  parts: ServingParts,
  req: GenerateRequest,
  result: JobResult,
  started: number,
): Promise<GenerateResponse> {
  const served = servedRequest(req, result);
  const postStart = deps.now();
  const model = parts.pipeline.model;
  // Encoding reads each image's pixels before its first await, so once encodeImages settles
  // (even rejected) nothing reads them: the runtime may reuse their memory.
  const images = await encodeImages(served, result, model, deps.region).finally(() =>
    parts.pipeline.runtime.releasePixels?.(result.images.map((image) => image.pixels)),
  );
  const timings = {
    ...result.timings,
    postprocess_ms: deps.now() - postStart,
    total_ms: deps.now() - started,
  };
  observe(deps.metrics, req.tier, timings);
  return responseBody(served, result, images, model, deps.region, timings);
}

function observe(metrics: OriginMetrics, tier: string, t: Record<string, number>) {
  metrics.textEncodeSeconds.observe({ tier }, (t.text_encode_ms ?? 0) / 1000);
  metrics.denoiseSeconds.observe({ tier }, (t.denoise_ms ?? 0) / 1000);
  metrics.decodeSeconds.observe({ tier }, (t.decode_ms ?? 0) / 1000);
  metrics.postprocessSeconds.observe({ tier }, (t.postprocess_ms ?? 0) / 1000);
}
