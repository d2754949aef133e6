// Public: GET /v1/images/jobs/{id}/events, the job's log as Server-Sent Events, resumable with Last-Event-ID.
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors/api-error";
import { JOB_EVENTS_PATH } from "../services/jobs/generation-job-do";
import { jobStub } from "../services/jobs/job-directory";
import { MAX_STREAMS_PER_JOB } from "../services/jobs/job-subscribers";
import { API_KEY_SECURITY, errorResponses, newRouter } from "./router";
import { EventsHeadersSchema, JobParamsSchema } from "./v1-images-jobs-schema";

const jobEvents = createRoute({
  method: "get",
  path: "/v1/images/jobs/{job_id}/events",
  summary: "Follow a job's progress (Server-Sent Events)",
  description:
    "Events, each with an `id:`: `queued` {position}, `started` {region}, `progress` {step, " +
    "steps, preview?} (preview: a small image of the current latent), then exactly one of " +
    "`completed` {data: images}, `failed` {error}, `canceled`, after which the stream closes. " +
    "Reconnect with Last-Event-ID to resume after that event; a finished job replays its whole log.",
  security: API_KEY_SECURITY,
  request: { params: JobParamsSchema, headers: EventsHeadersSchema },
  responses: {
    200: {
      description: "The event stream",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...errorResponses("invalid_request", "invalid_api_key", "not_found", "concurrency_limit"),
  },
});

export const v1ImagesJobsEvents = newRouter().openapi(jobEvents, async (c) => {
  const lastEventId = c.req.valid("header")["last-event-id"]?.trim() ?? "";
  if (lastEventId !== "" && !/^\d{1,15}$/.test(lastEventId)) {
    throw new ApiError("invalid_request", "Last-Event-ID must be an event id from this stream.", {
      param: "Last-Event-ID",
    });
  }
  const stub = jobStub(c.env.JOBS, c.req.valid("param").job_id);
  const query = new URLSearchParams({ tenant: c.get("auth").tenantId, after: lastEventId || "0" });
  const res = await stub?.fetch(`https://job${JOB_EVENTS_PATH}?${query}`);
  if (res?.status === 429) {
    throw new ApiError(
      "concurrency_limit",
      `This job already has ${MAX_STREAMS_PER_JOB} open event streams; close one, or resume later with Last-Event-ID.`,
      { headers: { "retry-after": "1" } },
    );
  }
  if (!res?.ok || !res.body) throw new ApiError("not_found", "No such job.", { param: "job_id" });
  return c.body(res.body, 200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    "x-accel-buffering": "no",
  });
});
