// Public: POST /v1/images/generations, OpenAI-compatible: plan, idempotency, then the generation run.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { sha256Hex } from "../../protocol/signing";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import { traceparentFor } from "../middleware/request-id";
import { type DeliveredImage, deliverImages } from "../services/generation/deliver-images";
import { type GenerationPlan, planGeneration } from "../services/generation/generation-plan";
import {
  type GenerationOutcome,
  type GenerationTarget,
  ImageGeneration,
} from "../services/generation/image-generation";
import type { StoredResponse } from "../services/idempotency/idempotency-store";
import { newId } from "../services/ids/random-base62";
import { modelIds } from "../services/models/model-catalog";
import { rateLimitHeaders } from "../services/tenant-gate/rate-limit-headers";
import { respondIdempotently } from "./idempotent-response";
import { API_KEY_SECURITY, errorResponses, json, newRouter } from "./router";
import { generationError } from "./v1-images-generations-errors";
import {
  type CreateImageRequest,
  CreateImageRequestSchema,
  IdempotencyHeadersSchema,
  type ImagesResponse,
  ImagesResponseSchema,
} from "./v1-images-generations-schema";
import { streamImages } from "./v1-images-generations-stream";

const createImage = createRoute({
  method: "post",
  path: "/v1/images/generations",
  summary: "Create images from a prompt (OpenAI Images API compatible)",
  description:
    "Order of work: validation, Idempotency-Key lookup, safety prefilter (400 before any cost), " +
    "rate limit + concurrency + quota reservation (429), origin call, settlement (failed images are refunded). " +
    "With stream: true the answer is Server-Sent Events as OpenAI streams images: " +
    "`image_generation.partial_image` (up to partial_images previews), then " +
    "`image_generation.completed` per image, or one `error` event.",
  security: API_KEY_SECURITY,
  request: {
    headers: IdempotencyHeadersSchema,
    body: { content: json(CreateImageRequestSchema), required: true },
  },
  responses: {
    200: {
      description: "The generated images (JSON), or with stream: true their event stream",
      content: {
        ...json(ImagesResponseSchema),
        "text/event-stream": { schema: z.string() },
      },
    },
    ...errorResponses(
      "invalid_request",
      "content_policy_violation",
      "invalid_api_key",
      "tier_not_allowed",
      "idempotency_conflict",
      "payload_too_large",
      "unsupported_media_type",
      "rate_limit_exceeded",
      "upstream_error",
      "no_capacity",
      "deadline_exceeded",
    ),
  },
});

export const v1ImagesGenerations = newRouter().openapi(createImage, async (c) => {
  const body = c.req.valid("json");
  const auth = c.get("auth");
  const planned = planGeneration(body, {
    allowedTiers: auth.tenant.allowedTiers,
    modelIds: modelIds(c.env.MODELS),
  });
  if (!planned.ok) throw new ApiError(planned.code, planned.message, { param: planned.param });
  const { plan } = planned;
  c.header("x-darkroom-tier", plan.tier);
  c.get("audit").note({
    tier: plan.tier,
    params: auditParams(plan, body),
    promptSha256: await sha256Hex(plan.cleanedPrompt),
  });
  if (body.stream === true) return streamImages(c, plan, body);
  const key = c.req.valid("header")["idempotency-key"];
  return respondIdempotently(c, key, body, () => generate(c, plan));
});

async function generate(
  c: Context<AppEnv>,
  plan: GenerationPlan,
): Promise<StoredResponse & { body: ImagesResponse }> {
  const auth = c.get("auth");
  const services = c.get("services");
  const generation = new ImageGeneration({
    gate: services.gate,
    origins: services.origins,
    regions: services.regions,
    safetyTerms: services.safetyTerms,
    note: (fields) => c.get("audit").note(fields),
    afterResponse: (work) => {
      c.executionCtx.waitUntil(work);
      c.get("audit").holdUntil(work);
    },
  });
  const deliver = deliverImages({
    plan,
    tenantId: auth.tenantId,
    images: services.images,
    urlBase: new URL(c.req.url).origin,
  });
  const outcome = await generation.run(plan, generationTarget(c), deliver);
  if (!outcome.ok) throw generationError(outcome);
  for (const [name, value] of Object.entries(rateLimitHeaders(outcome.rateLimit))) {
    c.header(name, value);
  }
  const meta = outcome.response.metadata;
  // Kept with an idempotent response and replayed with it; RateLimit-* belong to this attempt only.
  const headers: Record<string, string> = {
    "x-darkroom-region": outcome.region,
    "x-darkroom-tier": plan.tier,
    // The origin served less than asked (fewer steps, a faster tier) and says why.
    ...(meta.degraded ? { "x-darkroom-degraded": headerSafe(meta.degraded) } : {}),
  };
  return { status: 200, headers, body: present(c.get("requestId"), plan, outcome) };
}

function generationTarget(c: Context<AppEnv>): GenerationTarget {
  const auth = c.get("auth");
  return {
    generationId: newId("gen"),
    tenantId: auth.tenantId,
    limits: {
      rate_limit_per_minute: auth.tenant.rateLimitPerMinute,
      max_concurrency: auth.tenant.maxConcurrency,
      monthly_image_quota: auth.tenant.monthlyImageQuota,
    },
    storePrompt: auth.tenant.storePrompts,
    traceparent: traceparentFor(c.get("traceId")),
    route: routeOrigin(c, auth.tenant.residency),
  };
}

/** The request's location as Cloudflare reports it (`request.cf`; absent locally) and the tenant's pin. */
export function routeOrigin(
  c: Context<AppEnv>,
  residency: string | null,
): GenerationTarget["route"] {
  const cf = c.req.raw.cf as { colo?: unknown; continent?: unknown } | undefined;
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);
  return { residency, colo: text(cf?.colo), continent: text(cf?.continent) };
}

function present(
  requestId: string,
  plan: GenerationPlan,
  outcome: Extract<GenerationOutcome<DeliveredImage[]>, { ok: true }>,
): ImagesResponse {
  const meta = outcome.response.metadata;
  return {
    created: Math.floor(Date.now() / 1000),
    data: [...outcome.delivered],
    darkroom: {
      request_id: requestId,
      region: outcome.region,
      tier: plan.tier,
      model: meta.model,
      model_hash: meta.model_hash,
      size: `${plan.width}x${plan.height}`,
      steps: meta.steps,
      scheduler: meta.scheduler,
      guidance_scale: meta.guidance_scale,
      timings: outcome.timings,
    },
  };
}

/** An origin-supplied string made safe for a header value (printable ASCII, bounded). */
const headerSafe = (value: string) => value.replace(/[^\x20-\x7E]/g, "?").slice(0, 200);

/** What the audit keeps of a request: its parameters, never the prompt text itself. */
export function auditParams(
  plan: GenerationPlan,
  body: Omit<CreateImageRequest, "stream" | "partial_images" | "tier">,
): Record<string, unknown> {
  return {
    model: plan.model,
    n: plan.n,
    size: `${plan.width}x${plan.height}`,
    steps: plan.steps,
    guidance_scale: plan.guidanceScale,
    scheduler: plan.scheduler,
    seed: plan.seed,
    output_format: plan.outputFormat,
    response_format: plan.responseFormat,
    quality: body.quality ?? null,
    moderation: body.moderation ?? null,
    user: body.user ?? null,
    units_per_image: plan.unitsPerImage,
  };
}
