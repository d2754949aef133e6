// POST /internal/v1/generate: validate, admit, run through the scheduler, encode, respond.
import { Hono } from "hono";
import { describeZodError } from "../../../protocol/errors";
import { type GenerateRequest, GenerateRequestSchema } from "../../../protocol/generate";
import type { JobOutcome } from "../../scheduler/job-scheduler";
import { type BenchNullImage, benchNullResponse } from "../bench-null-image";
import { encodeImages, responseBody, servedRequest } from "../encode-response";
import type { OriginMetrics } from "../metrics";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import type { OriginState, ServingParts } from "../origin-state";
import type { ReplayGuard } from "../replay-guard";

export interface GenerateRouteDeps {
  state: OriginState;
  metrics: OriginMetrics;
  replay: ReplayGuard;
  region: string;
  now?: () => number;
  /** BENCHMARK-ONLY: answer with a fixed image instead of running inference. */
  benchNullImage?: BenchNullImage | undefined;
}

export function parseGenerateRequest(raw: string): GenerateRequest {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new OriginError("invalid_request", "Request body is not valid JSON.");
  }
  const parsed = GenerateRequestSchema.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeZodError(parsed.error);
    throw new OriginError("invalid_request", message, param);
  }
  return parsed.data;
}

function servingOrThrow(state: OriginState, req: GenerateRequest): ServingParts {
  const parts = state.serving();
  if (!parts) throw new OriginError("not_ready", `Origin is ${state.phase}; try another region.`);
  const { id } = parts.pipeline.model;
  if (req.model !== id && req.model !== "default") {
    throw new OriginError(
      "invalid_request",
      `Model ${req.model} is not served here (${id}).`,
      "model",
    );
  }
  return parts;
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
        "The request's deadline passed before it finished.",
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

export function generateRoute(deps: GenerateRouteDeps) {
  const now = deps.now ?? (() => performance.now());
  return new Hono<OriginEnv>().post("/", async (c) => {
    const started = now();
    const req = parseGenerateRequest(c.get("rawBody"));
    c.set("tier", req.tier);
    if (!deps.replay.claim(req.request_id)) {
      throw new OriginError("invalid_signature", "request_id was already used within the window.");
    }
    if (deps.benchNullImage)
      return c.json(benchNullResponse(req, deps.benchNullImage, deps.region));
    const parts = servingOrThrow(deps.state, req);
    const outcome = await parts.scheduler.submit({
      requestId: req.request_id,
      tier: req.tier,
      priority: req.priority,
      params: req,
      budgetMs: req.deadline_ms - (now() - started),
      allowDegrade: req.allow_degrade,
      resumeFrom: req.resume && {
        requestId: req.resume.request_id,
        imageIndex: req.resume.image_index,
        fromStep: req.resume.from_step,
      },
      // A client that hangs up stops its rows at the next step boundary.
      signal: c.req.raw.signal,
    });
    if (!outcome.ok) throw failureError(outcome);
    const served = servedRequest(req, outcome.result);
    const postStart = now();
    const model = parts.pipeline.model;
    const images = await encodeImages(served, outcome.result, model, deps.region);
    const timings = {
      ...outcome.result.timings,
      postprocess_ms: now() - postStart,
      total_ms: now() - started,
    };
    observe(deps.metrics, req.tier, timings);
    if (outcome.result.degraded) c.header("x-darkroom-degraded", outcome.result.degraded);
    return c.json(responseBody(served, outcome.result, images, model, deps.region, timings));
  });
}

function observe(metrics: OriginMetrics, tier: string, t: Record<string, number>) {
  metrics.textEncodeSeconds.observe({ tier }, (t.text_encode_ms ?? 0) / 1000);
  metrics.denoiseSeconds.observe({ tier }, (t.denoise_ms ?? 0) / 1000);
  metrics.decodeSeconds.observe({ tier }, (t.decode_ms ?? 0) / 1000);
  metrics.postprocessSeconds.observe({ tier }, (t.postprocess_ms ?? 0) / 1000);
}
