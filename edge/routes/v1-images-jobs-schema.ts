// Schemas of the async job API: the create body (the generation body + webhook_url), the job, and its view.
import { z } from "@hono/zod-openapi";
import { TIERS } from "../../protocol/tiers";
import type { JobSnapshot } from "../services/jobs/job-spec";
import { honouredEnum, imageRequestFields } from "./v1-images-generations-schema";

export const CreateImageJobRequestSchema = z
  .strictObject({
    ...imageRequestFields,
    // A job outlives its request: its images wait in storage, and the job lists their URLs.
    response_format: honouredEnum(["url"], {
      b64_json:
        "jobs always deliver images as URLs (GET /v1/images/{image_id}), never inline; use 'url' or leave it out",
    })
      .nullish()
      .openapi({ description: "url only (the default): a job lists its images' URLs." }),
    tier: z.enum(TIERS).nullish().openapi({
      description: "fast, quality or batch (jobs only: lowest priority, 1 h deadline).",
    }),
    webhook_url: z
      .string()
      .max(2048)
      .nullish()
      .openapi({
        description:
          "https URL that receives the job's terminal event, signed (Standard Webhooks: " +
          "webhook-id, webhook-timestamp, webhook-signature), retried with backoff.",
      }),
  })
  .openapi("CreateImageJobRequest");

export type CreateImageJobRequest = z.infer<typeof CreateImageJobRequestSchema>;

export const JobParamsSchema = z.object({ job_id: z.string() });

export const EventsHeadersSchema = z.object({
  "last-event-id": z.string().optional().openapi({
    description: "Resume after this event id (EventSource sends it on reconnect).",
  }),
});

const JobImageSchema = z.object({
  id: z.string(),
  url: z.string(),
  seed: z.number().int(),
  sha256: z.string(),
  format: z.string(),
  width: z.number().int(),
  height: z.number().int(),
});

const ErrorSchema = z.object({
  message: z.string(),
  type: z.string(),
  param: z.string().nullable(),
  code: z.string(),
  request_id: z.string().nullable(),
});

export const ImageJobSchema = z
  .object({
    id: z.string(),
    object: z.literal("image.job"),
    status: z.enum(["queued", "running", "completed", "failed", "canceled"]),
    created_at: z.number().int().openapi({ description: "Unix seconds" }),
    started_at: z.number().int().nullable(),
    finished_at: z.number().int().nullable(),
    expires_at: z.number().int().nullable().openapi({
      description: "When this job's record is deleted (its images stay in storage).",
    }),
    tier: z.string(),
    model: z.string(),
    n: z.number().int(),
    size: z.string(),
    steps: z.number().int(),
    region: z.string().nullable(),
    progress: z.object({ step: z.number().int(), steps: z.number().int() }).nullable(),
    data: z.array(JobImageSchema).nullable().openapi({ description: "The images, once completed" }),
    error: ErrorSchema.nullable(),
    last_event_id: z.number().int(),
    urls: z.object({ self: z.string(), events: z.string(), cancel: z.string() }),
    webhook: z
      .object({ url: z.string(), deliveries: z.array(z.unknown()) })
      .nullable()
      .openapi({ description: "The webhook and every delivery attempt, when one was given." }),
  })
  .openapi("ImageJob");

export type ImageJob = z.infer<typeof ImageJobSchema>;

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

export function presentJob(job: JobSnapshot, urlBase: string): ImageJob {
  const self = `${urlBase}/v1/images/jobs/${job.id}`;
  return {
    id: job.id,
    object: "image.job",
    status: job.status,
    created_at: Math.floor(job.createdAtMs / 1000),
    started_at: seconds(job.startedAtMs),
    finished_at: seconds(job.finishedAtMs),
    expires_at: seconds(job.expiresAtMs),
    tier: job.plan.tier,
    model: job.result?.model ?? job.plan.model,
    n: job.plan.n,
    size: `${job.plan.width}x${job.plan.height}`,
    steps: job.plan.steps,
    region: job.region,
    progress: job.progress,
    data: job.result ? [...job.result.images] : null,
    error: job.error,
    last_event_id: job.lastEventId,
    urls: { self, events: `${self}/events`, cancel: `${self}/cancel` },
    webhook: job.webhook ? { url: job.webhook.url, deliveries: [...job.webhook.deliveries] } : null,
  };
}
