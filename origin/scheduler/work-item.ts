// One admitted job as the batcher tracks it: where it waits, its rows, and what it has cost so far.
import { TIER_SPECS, type Tier } from "../../protocol/tiers";
import { usesGuidance } from "../diffusion/guidance";
import type { DenoiseRow } from "../engine/denoise-row";
import type { GenerateParams } from "../engine/pipeline";
import type { GenerationJob, JobOutcome } from "./job-scheduler";

export type WorkState = "queued" | "running" | "paused";

export class WorkItem {
  state: WorkState = "queued";
  rows: DenoiseRow[] | null = null;
  /** When it last started waiting (queued or paused): aging counts from here. */
  waitingSince: number;
  startedAt: number | null = null;
  textEncodeMs = 0;
  denoiseMs = 0;
  canceled = false;
  embeddingKey: string | null = null;
  stepsDone = 0;

  constructor(
    readonly seq: number,
    readonly job: GenerationJob,
    readonly params: GenerateParams,
    readonly tier: Tier,
    readonly enqueuedAt: number,
    readonly deadlineAt: number,
    readonly latentCells: number,
    readonly resolve: (outcome: JobOutcome) => void,
    readonly degraded: string | undefined,
    /** The model takes guidance as an input (LCM): never an unconditional row. */
    readonly embedsGuidance = false,
  ) {
    this.waitingSince = enqueuedAt;
  }

  /** Shape bucket: rows can share a UNet call only at equal latent size (and model, one per origin). */
  get bucket(): string {
    return `${this.params.width}x${this.params.height}`;
  }

  get rowsPerImage(): number {
    return usesGuidance(this.params.guidance_scale, this.embedsGuidance) ? 2 : 1;
  }

  /** UNet rows this job occupies in a batch. */
  get unetRows(): number {
    return this.params.n * this.rowsPerImage;
  }

  get remainingSteps(): number {
    return this.params.steps - this.stepsDone;
  }

  get finished(): boolean {
    return this.rows !== null && this.stepsDone >= this.params.steps;
  }

  /** Lower runs first: the tier's rank, lifted one tier per agingMs of waiting. */
  rank(now: number, agingMs: number): number {
    const base = TIER_SPECS[this.tier].priority;
    if (this.state === "running" || !Number.isFinite(agingMs)) return base;
    return base - Math.floor((now - this.waitingSince) / agingMs);
  }
}

/** Orders candidates: rank, then the request's own priority, then arrival. */
export function compareWork(now: number, aging: (item: WorkItem) => number) {
  return (a: WorkItem, b: WorkItem) =>
    a.rank(now, aging(a)) - b.rank(now, aging(b)) ||
    a.job.priority - b.job.priority ||
    a.seq - b.seq;
}
