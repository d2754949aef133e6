// One job at a time in arrival order: the simplest correct scheduler, and the benchmark's baseline.
import type { TierLoad } from "../../protocol/load";
import { TIERS, type Tier } from "../../protocol/tiers";
import type { DiffusionPipeline } from "../engine/pipeline";
import type { GenerationJob, JobOutcome, JobScheduler } from "./job-scheduler";

/** Exponentially weighted mean, so load reports follow the machine's current speed. */
class Ewma {
  value = 0;
  constructor(private readonly alpha = 0.2) {}
  add(x: number) {
    this.value = this.value === 0 ? x : this.value + this.alpha * (x - this.value);
  }
}

export class FifoScheduler implements JobScheduler {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly queued: Record<Tier, number> = { fast: 0, quality: 0, batch: 0 };
  private running = 0;
  private draining = false;
  private readonly stepMs: Record<Tier, Ewma> = {
    fast: new Ewma(),
    quality: new Ewma(),
    batch: new Ewma(),
  };
  private readonly jobMs = new Ewma();

  constructor(
    private readonly pipeline: DiffusionPipeline,
    private readonly now: () => number = () => performance.now(),
  ) {}

  submit(job: GenerationJob): Promise<JobOutcome> {
    if (this.draining) return Promise.resolve({ ok: false, reason: "draining" });
    const enqueuedAt = this.now();
    this.queued[job.tier] += 1;
    const run = this.tail.then(() => this.run(job, enqueuedAt));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async run(job: GenerationJob, enqueuedAt: number): Promise<JobOutcome> {
    this.queued[job.tier] -= 1;
    const start = this.now();
    if (start > job.deadlineAt) return { ok: false, reason: "deadline_exceeded" };
    this.running += 1;
    try {
      const { images, timings } = await this.pipeline.generate(job.params, job.onStep);
      this.stepMs[job.tier].add(timings.denoise_ms / Math.max(1, job.params.steps));
      this.jobMs.add(this.now() - start);
      return {
        ok: true,
        result: { images, timings: { ...timings, queue_ms: start - enqueuedAt } },
      };
    } finally {
      this.running -= 1;
    }
  }

  load(): Record<Tier, TierLoad> {
    const ahead = this.queued.fast + this.queued.quality + this.queued.batch + this.running;
    const entries = TIERS.map((tier) => [
      tier,
      {
        queue_depth: this.queued[tier],
        predicted_wait_ms: ahead * this.jobMs.value,
        step_ms: this.stepMs[tier].value,
      },
    ]);
    return Object.fromEntries(entries) as Record<Tier, TierLoad>;
  }

  inFlight(): number {
    return this.queued.fast + this.queued.quality + this.queued.batch + this.running;
  }

  async drain(): Promise<void> {
    this.draining = true;
    await this.tail;
  }
}
