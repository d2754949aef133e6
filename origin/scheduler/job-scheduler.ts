// What the origin's HTTP layer asks of a scheduler: run a job by its deadline, report load, drain.
import type { TierLoad } from "../../protocol/load";
import type { Tier } from "../../protocol/tiers";
import type { DecodedImage, GenerateParams, PipelineTimings } from "../engine/pipeline";

export interface GenerationJob {
  requestId: string;
  tier: Tier;
  priority: number;
  params: GenerateParams;
  /** Absolute time (scheduler clock, ms) after which the result is worthless. */
  deadlineAt: number;
  onStep?: (step: number, steps: number) => void;
}

export interface JobResult {
  images: DecodedImage[];
  timings: PipelineTimings & { queue_ms: number };
}

export type JobOutcome =
  | { ok: true; result: JobResult }
  | { ok: false; reason: "deadline_exceeded" | "overloaded" | "draining"; retryAfterMs?: number };

export interface JobScheduler {
  submit(job: GenerationJob): Promise<JobOutcome>;
  load(): Record<Tier, TierLoad>;
  /** Jobs queued or running. */
  inFlight(): number;
  /** Resolves once every admitted job has finished; admits nothing new. */
  drain(): Promise<void>;
}
