// POST /internal/v1/generate: validate, admit, run through the scheduler, encode, respond.
import { Hono } from "hono";
import { describeZodError } from "../../../protocol/errors";
import {
  type GeneratedImage,
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
} from "../../../protocol/generate";
import { encodeImage, toRgb8 } from "../../imaging/encode-image";
import type { JobResult } from "../../scheduler/job-scheduler";
import { buildReceipt } from "../build-receipt";
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

async function encodeAll(
  req: GenerateRequest,
  result: JobResult,
  parts: ServingParts,
  region: string,
): Promise<GeneratedImage[]> {
  const t = result.timings;
  const inference = t.text_encode_ms + t.denoise_ms + t.decode_ms;
  return Promise.all(
    result.images.map(async (image) => {
      const started = performance.now();
      const rgb = toRgb8(image.pixels, req.width, req.height);
      const receipt = buildReceipt(req, parts.pipeline.model, region, image.seed, {
        queue_ms: t.queue_ms,
        inference_ms: inference,
        postprocess_ms: performance.now() - started,
      });
      const encoded = await encodeImage(rgb, req.width, req.height, req.output_format, receipt);
      return {
        b64: encoded.bytes.toString("base64"),
        seed: image.seed,
        sha256: encoded.sha256,
        width: req.width,
        height: req.height,
        format: encoded.format,
      };
    }),
  );
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
    const parts = servingOrThrow(deps.state, req);
    const outcome = await parts.scheduler.submit({
      requestId: req.request_id,
      tier: req.tier,
      priority: req.priority,
      params: req,
      deadlineAt: started + req.deadline_ms,
    });
    if (!outcome.ok) {
      if (outcome.reason === "draining") throw new OriginError("not_ready", "Origin is draining.");
      if (outcome.reason === "overloaded") {
        const retry = Math.ceil((outcome.retryAfterMs ?? 1000) / 1000);
        throw new OriginError("overloaded", "Origin cannot meet the deadline.", null, retry);
      }
      throw new OriginError("deadline_exceeded", "The request's deadline passed before it ran.");
    }
    const postStart = now();
    const images = await encodeAll(req, outcome.result, parts, deps.region);
    const t = outcome.result.timings;
    const timings = { ...t, postprocess_ms: now() - postStart, total_ms: now() - started };
    observe(deps.metrics, req.tier, timings);
    const model = parts.pipeline.model;
    const body: GenerateResponse = {
      images,
      metadata: {
        request_id: req.request_id,
        region: deps.region,
        model: model.id,
        model_hash: model.sha256,
        tier: req.tier,
        scheduler: req.scheduler,
        steps: req.steps,
        guidance_scale: req.guidance_scale,
        execution_provider: model.executionProvider,
        onnxruntime_version: model.onnxruntimeVersion,
        timings,
      },
    };
    return c.json(body);
  });
}

function observe(metrics: OriginMetrics, tier: string, t: GenerateResponse["metadata"]["timings"]) {
  metrics.queueSeconds.observe({ tier }, t.queue_ms / 1000);
  metrics.textEncodeSeconds.observe({ tier }, t.text_encode_ms / 1000);
  metrics.denoiseSeconds.observe({ tier }, t.denoise_ms / 1000);
  metrics.decodeSeconds.observe({ tier }, t.decode_ms / 1000);
  metrics.postprocessSeconds.observe({ tier }, t.postprocess_ms / 1000);
}
