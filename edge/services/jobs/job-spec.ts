// What an async job is: the spec the route hands its GenerationJob, its states, and the events of its log.
import type { ErrorBody } from "../../../protocol/errors";
import type { Preview } from "../../../protocol/events";
import type { GenerationPlan } from "../generation/generation-plan";
import type { GenerationTarget } from "../generation/image-generation";
import { randomBase62 } from "../ids/random-base62";
import type { TenantLimits } from "../tenant-gate/tenant-gate";
import type { WebhookDeliveryLog } from "../webhooks/webhook-outbox";

/** `job_` + 24 base62 characters (~143 bits): unguessable, so an id alone reveals nothing. */
export const JOB_ID = /^job_[0-9A-Za-z]{24}$/;
export const newJobId = () => `job_${randomBase62(24)}`;

export const JOB_STATUSES = ["queued", "running", "completed", "failed", "canceled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const isFinished = (status: JobStatus) =>
  status === "completed" || status === "failed" || status === "canceled";

/** Everything the job needs to run without the request that created it: plain JSON, stored as is. */
export interface JobSpec {
  readonly jobId: string;
  readonly tenantId: string;
  readonly keyId: string;
  /** The creating request's id: the job's audit record and error bodies carry it. */
  readonly requestId: string;
  /** The gate's reservation id and the origin's request id (one per job: a job runs once). */
  readonly generationId: string;
  readonly plan: GenerationPlan;
  readonly limits: TenantLimits;
  readonly storePrompt: boolean;
  readonly traceparent: string;
  readonly route: GenerationTarget["route"];
  /** Judged before the job was accepted; copied into every image's receipt. */
  readonly safety: {
    readonly decision: string;
    readonly category: string | null;
    readonly policyVersion: string;
  };
  /** What the audit keeps of the request: parameters and the prompt's hash, never its text. */
  readonly audit: { readonly params: Record<string, unknown>; readonly promptSha256: string };
  /** Validated at creation (services/webhooks); null when the caller gave none. */
  readonly webhookUrl: string | null;
  /** Scheme and host the client called: image URLs are built on it. */
  readonly urlBase: string;
  readonly createdAtMs: number;
}

export interface JobImage {
  readonly id: string;
  readonly url: string;
  readonly seed: number;
  readonly sha256: string;
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

/** The `completed` event's body and the finished job's `result`. */
export interface JobResult {
  readonly images: readonly JobImage[];
  readonly region: string;
  readonly model: string;
  readonly model_hash: string;
  readonly steps: number;
  readonly scheduler: string;
  readonly guidance_scale: number;
  readonly degraded: string | null;
  readonly timings: Record<string, number>;
}

export type JobError = ErrorBody["error"];

/** The public events of a job's log, in the order ARCHITECTURE fixes; exactly one terminal event. */
export type JobEvent =
  | { event: "queued"; data: { job_id: string; position: number } }
  | { event: "started"; data: { job_id: string; region: string } }
  | { event: "progress"; data: { job_id: string; step: number; steps: number; preview?: Preview } }
  | { event: "completed"; data: { job_id: string; status: "completed" } & JobResult }
  | { event: "failed"; data: { job_id: string; status: "failed"; error: JobError } }
  | { event: "canceled"; data: { job_id: string; status: "canceled" } };

/** What the DO tells the routes about a job; the routes add URLs and shape it for the client. */
export interface JobSnapshot {
  readonly id: string;
  readonly status: JobStatus;
  readonly plan: GenerationPlan;
  readonly createdAtMs: number;
  readonly startedAtMs: number | null;
  readonly finishedAtMs: number | null;
  /** When the job's record (not its images) is deleted. */
  readonly expiresAtMs: number | null;
  readonly region: string | null;
  readonly progress: { readonly step: number; readonly steps: number } | null;
  readonly result: JobResult | null;
  readonly error: JobError | null;
  /** Id of the last event in the log (0 when empty). */
  readonly lastEventId: number;
  readonly webhook: { readonly url: string; readonly deliveries: WebhookDeliveryLog[] } | null;
}

/**
 * The spec a finished job keeps for its retention period: without the prompt's text unless the
 * tenant stores prompts (the audit has only its hash; the running job needed the text, no longer).
 */
export function retainedSpec(spec: JobSpec): JobSpec {
  if (spec.storePrompt) return spec;
  return { ...spec, plan: { ...spec.plan, prompt: "", cleanedPrompt: "", negativePrompt: "" } };
}
