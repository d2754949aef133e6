// Public: async jobs. POST /v1/images/jobs (admitted before the 202), GET one, POST its cancel.
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { sha256Hex } from "../../protocol/signing";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import { traceparentFor } from "../middleware/request-id";
import { type GenerationPlan, planGeneration } from "../services/generation/generation-plan";
import { newId } from "../services/ids/random-base62";
import { admitGeneration } from "../services/jobs/admit-generation";
import { jobStub } from "../services/jobs/job-directory";
import { type JobSpec, newJobId } from "../services/jobs/job-spec";
import { modelIds } from "../services/models/model-catalog";
import { rateLimitHeaders } from "../services/tenant-gate/rate-limit-headers";
import { webhookMasterSecret } from "../services/webhooks/tenant-webhook-secret";
import { validateWebhookUrl, webhookUrlPolicy } from "../services/webhooks/webhook-url";
import { respondIdempotently } from "./idempotent-response";
import { API_KEY_SECURITY, errorResponses, json, newRouter } from "./router";
import { auditParams, routeOrigin } from "./v1-images-generations";
import { generationError } from "./v1-images-generations-errors";
import { IdempotencyHeadersSchema } from "./v1-images-generations-schema";
import {
  type CreateImageJobRequest,
  CreateImageJobRequestSchema,
  type ImageJob,
  ImageJobSchema,
  JobParamsSchema,
  presentJob,
} from "./v1-images-jobs-schema";

const createJob = createRoute({
  method: "post",
  path: "/v1/images/jobs",
  summary: "Start an async image job",
  description:
    "Validation, safety prefilter and quota reservation happen before the 202, so a refused job " +
    "gets its 400/429 here. The job then runs on its own; follow it with GET, its events, or a webhook.",
  security: API_KEY_SECURITY,
  request: {
    headers: IdempotencyHeadersSchema,
    body: { content: json(CreateImageJobRequestSchema), required: true },
  },
  responses: {
    202: { description: "Accepted: the job, queued", content: json(ImageJobSchema) },
    ...errorResponses(
      "invalid_request",
      "content_policy_violation",
      "invalid_api_key",
      "tier_not_allowed",
      "idempotency_conflict",
      "rate_limit_exceeded",
    ),
  },
});

const getJob = createRoute({
  method: "get",
  path: "/v1/images/jobs/{job_id}",
  summary: "An async job: status, progress, images, error, webhook deliveries",
  security: API_KEY_SECURITY,
  request: { params: JobParamsSchema },
  responses: {
    200: { description: "The job", content: json(ImageJobSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

const cancelJob = createRoute({
  method: "post",
  path: "/v1/images/jobs/{job_id}/cancel",
  summary: "Cancel an async job",
  description:
    "Stops the job on the origin at its next denoising step and refunds its reservation; answers " +
    "once it has ended (status canceled). A job that had already finished is left as it was: 200 " +
    "with its final status (completed, failed or canceled), nothing changed.",
  security: API_KEY_SECURITY,
  request: { params: JobParamsSchema },
  responses: {
    200: { description: "The job after the cancel", content: json(ImageJobSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

/** Another tenant's job answers exactly as a missing one: ids never confirm that they exist. */
const noSuchJob = () => new ApiError("not_found", "No such job.", { param: "job_id" });

const urlBaseOf = (c: Context<AppEnv>) => new URL(c.req.url).origin;

export const v1ImagesJobs = newRouter()
  .openapi(createJob, async (c) => {
    const body = c.req.valid("json");
    const auth = c.get("auth");
    // A job always delivers URLs (the schema refuses b64_json): its plan and audit say so.
    const planned = planGeneration(
      { ...body, response_format: "url" },
      {
        allowedTiers: auth.tenant.allowedTiers,
        modelIds: modelIds(c.env.MODELS),
        allowBatch: true,
      },
    );
    if (!planned.ok) throw new ApiError(planned.code, planned.message, { param: planned.param });
    const { plan } = planned;
    const webhookUrl = checkedWebhookUrl(c, body.webhook_url);
    c.header("x-darkroom-tier", plan.tier);
    const promptSha256 = await sha256Hex(plan.cleanedPrompt);
    c.get("audit").note({ tier: plan.tier, params: auditParams(plan, body), promptSha256 });
    const key = c.req.valid("header")["idempotency-key"];
    const run = () => startJob(c, plan, body, webhookUrl, promptSha256);
    return respondIdempotently<ImageJob, 202>(c, key, body, run, 202);
  })
  .openapi(getJob, async (c) => {
    const stub = jobStub(c.env.JOBS, c.req.valid("param").job_id);
    const job = await stub?.get(c.get("auth").tenantId);
    if (!job) throw noSuchJob();
    return c.json(presentJob(job, urlBaseOf(c)), 200);
  })
  .openapi(cancelJob, async (c) => {
    const stub = jobStub(c.env.JOBS, c.req.valid("param").job_id);
    const answer = await stub?.cancel(c.get("auth").tenantId);
    if (!answer) throw noSuchJob();
    return c.json(presentJob(answer.job, urlBaseOf(c)), 200);
  });

function checkedWebhookUrl(c: Context<AppEnv>, raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const check = validateWebhookUrl(raw, webhookUrlPolicy(c.env));
  if (!check.ok) throw new ApiError("invalid_request", check.message, { param: "webhook_url" });
  if (webhookMasterSecret(c.env) === null) {
    throw new ApiError("invalid_request", "Webhooks are not enabled on this deployment.", {
      param: "webhook_url",
    });
  }
  return check.url;
}

/** Safety and admission answer now; the job's own object takes it from there. */
async function startJob(
  c: Context<AppEnv>,
  plan: GenerationPlan,
  body: CreateImageJobRequest,
  webhookUrl: string | null,
  promptSha256: string,
) {
  const auth = c.get("auth");
  const services = c.get("services");
  const generationId = newId("gen");
  const limits = {
    rate_limit_per_minute: auth.tenant.rateLimitPerMinute,
    max_concurrency: auth.tenant.maxConcurrency,
    monthly_image_quota: auth.tenant.monthlyImageQuota,
  };
  const note = (fields: Parameters<AppEnv["Variables"]["audit"]["note"]>[0]) =>
    c.get("audit").note(fields);
  const admission = await admitGeneration(
    { gate: services.gate, safetyTerms: services.safetyTerms, note },
    plan,
    { generationId, tenantId: auth.tenantId, limits },
  );
  if (!admission.ok) throw generationError(admission);
  for (const [name, value] of Object.entries(rateLimitHeaders(admission.rateLimit))) {
    c.header(name, value);
  }
  const spec: JobSpec = {
    jobId: newJobId(),
    tenantId: auth.tenantId,
    keyId: auth.keyId,
    requestId: c.get("requestId"),
    generationId,
    plan,
    limits,
    storePrompt: auth.tenant.storePrompts,
    traceparent: traceparentFor(c.get("traceId")),
    route: routeOrigin(c, auth.tenant.residency),
    safety: admission.safety,
    audit: { params: auditParams(plan, body), promptSha256 },
    webhookUrl,
    urlBase: urlBaseOf(c),
    createdAtMs: Date.now(),
  };
  const job = await createOrRefund(c, spec);
  const view = presentJob(job, spec.urlBase);
  const headers = { location: view.urls.self, "x-darkroom-tier": plan.tier };
  return { status: 202, headers, body: view };
}

/** The reservation is the job's once its object holds it; until then a failure refunds it here. */
async function createOrRefund(c: Context<AppEnv>, spec: JobSpec) {
  const stub = jobStub(c.env.JOBS, spec.jobId);
  try {
    if (!stub) throw new Error("minted job id has the wrong shape");
    return await stub.create(spec);
  } catch (error) {
    await c
      .get("services")
      .gate.settle(spec.tenantId, spec.generationId, 0)
      .catch(() => {});
    throw error;
  }
}
