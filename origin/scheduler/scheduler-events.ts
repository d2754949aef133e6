// What the batcher reports as it works; the server turns these into Prometheus metrics.
import type { Tier } from "../../protocol/tiers";

/** The batcher's three kinds of compute: prompts, one denoising step of a batch, decoding. */
export type ComputeStage = "text_encode" | "denoise_step" | "decode";

export interface SchedulerEvents {
  queueWait(tier: Tier, ms: number): void;
  batchRows(rows: number): void;
  preempted(tier: Tier): void;
  deadlineDropped(tier: Tier): void;
  canceled(tier: Tier): void;
  rejected(tier: Tier, reason: "overloaded" | "queue_full" | "beyond_deadline"): void;
  degraded(tier: Tier): void;
  /** Wall time the batcher spent in a compute stage: its graph calls plus their per-step math. */
  computed(stage: ComputeStage, ms: number): void;
}

/** Counts events in memory: for tests, and as the default when nobody listens. */
export class CountingEvents implements SchedulerEvents {
  readonly counts = new Map<string, number>();
  readonly batchSizes: number[] = [];
  readonly computeMs: Record<ComputeStage, number> = { text_encode: 0, denoise_step: 0, decode: 0 };
  private bump(key: string) {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
  queueWait(tier: Tier): void {
    this.bump(`queue_wait.${tier}`);
  }
  batchRows(rows: number): void {
    this.batchSizes.push(rows);
  }
  preempted(tier: Tier): void {
    this.bump(`preempted.${tier}`);
  }
  deadlineDropped(tier: Tier): void {
    this.bump(`deadline.${tier}`);
  }
  canceled(tier: Tier): void {
    this.bump(`canceled.${tier}`);
  }
  rejected(tier: Tier, reason: string): void {
    this.bump(`rejected.${reason}.${tier}`);
  }
  degraded(tier: Tier): void {
    this.bump(`degraded.${tier}`);
  }
  computed(stage: ComputeStage, ms: number): void {
    this.computeMs[stage] += ms;
  }
}
