// What the origin's HTTP layer asks of a scheduler: run a job by its deadline, report load, drain.
import type { LoadCosts, TierLoad } from "../../protocol/load";
import type { Tier } from "../../protocol/tiers";
import type { DecodedImage, GenerateParams, PipelineTimings } from "../engine/pipeline";

/** Re-enter the denoising loop from an earlier request's latent at step `fromStep`. */
export interface LatentRef {
  requestId: string;
  imageIndex: number;
  fromStep: number;
}

export type JobEvent =
  | { type: "queued"; position: number }
  | { type: "started" }
  | { type: "progress"; step: number; steps: number; latents: readonly Float32Array[] };

export interface GenerationJob {
  requestId: string;
  tier: Tier;
  priority: number;
  params: GenerateParams;
  /** Whose cached embeddings and latents this job may use: only its own tenant's. */
  tenantId?: string;
  /** Time left until the result is worthless, in ms from submission. */
  budgetMs: number;
  /** Serve with fewer steps or the fast tier rather than refuse, when the deadline demands it. */
  allowDegrade?: boolean;
  resumeFrom?: LatentRef | undefined;
  /** Aborting (client gone, explicit cancel) drops the job at the next step boundary. */
  signal?: AbortSignal | undefined;
  onEvent?: (event: JobEvent) => void;
}

export interface JobResult {
  images: DecodedImage[];
  timings: PipelineTimings & { queue_ms: number };
  /** Why and how the job was served with less than asked, when it was. */
  degraded?: string;
  /** What actually ran (differs from the request when degraded). */
  params: GenerateParams;
  tier: Tier;
}

export type JobFailure =
  | "deadline_exceeded"
  | "overloaded"
  | "draining"
  | "canceled"
  | "latent_not_found"
  | "latent_mismatch"
  | "runtime_error";

export type JobOutcome =
  | { ok: true; result: JobResult }
  | { ok: false; reason: JobFailure; retryAfterMs?: number; message?: string };

export interface JobScheduler {
  submit(job: GenerationJob): Promise<JobOutcome>;
  /** Cancels a queued or running job by request id; false when it is unknown or finished. */
  cancel(requestId: string): boolean;
  load(): Record<Tier, TierLoad>;
  /** Measured per-megapixel costs, for predicting a request of any size (see LoadCosts). */
  costs(): LoadCosts;
  /** UNet rows queued, running or paused. */
  inFlight(): number;
  /** Resolves once every admitted job has finished; admits nothing new. */
  drain(): Promise<void>;
}
