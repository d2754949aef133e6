// The batcher: one loop owns every queue and the running batch, advancing it one step at a time.
import type { LoadCosts, TierLoad } from "../../protocol/load";
import { TIERS, type Tier } from "../../protocol/tiers";
import { LatentCache } from "../engine/latent-cache";
import type { DiffusionPipeline } from "../engine/pipeline";
import { admit, workAheadMs } from "./admission";
import { type BatchPolicy, DEFAULT_BATCH_POLICY } from "./batch-policy";
import { finishItems, type StepContext, startItem, stepItems } from "./batch-step";
import { type Clock, SystemClock } from "./clock";
import { CostModel } from "./cost-model";
import { GraphHang, type GraphWatchdog, predictedMs } from "./graph-watchdog";
import type { GenerationJob, JobOutcome, JobScheduler } from "./job-scheduler";
import { planStep } from "./plan-step";
import { CountingEvents, type SchedulerEvents } from "./scheduler-events";
import { WorkItem, type WorkState } from "./work-item";

export interface BatcherOptions {
  policy?: BatchPolicy;
  clock?: Clock;
  events?: SchedulerEvents;
  latents?: LatentCache;
  /** Times every graph call; unset, a call that never returns stalls the loop for good. */
  watchdog?: GraphWatchdog;
}

export class ContinuousBatcher implements JobScheduler {
  readonly policy: BatchPolicy;
  readonly cost = new CostModel();
  readonly latents: LatentCache | null;
  private readonly clock: Clock;
  private readonly events: SchedulerEvents;
  private readonly items: WorkItem[] = [];
  private seq = 0;
  private draining = false;
  /** Set once a graph call hung: the runtime is wedged, and nothing more runs on it. */
  private hung: GraphHang | null = null;
  private readonly watchdog: GraphWatchdog | null;
  private readonly loopDone: Promise<void>;

  constructor(
    readonly pipeline: DiffusionPipeline,
    options: BatcherOptions = {},
  ) {
    this.policy = options.policy ?? DEFAULT_BATCH_POLICY;
    this.clock = options.clock ?? new SystemClock();
    this.events = options.events ?? new CountingEvents();
    this.latents = this.policy.keepLatents ? (options.latents ?? new LatentCache()) : null;
    this.watchdog = options.watchdog ?? null;
    this.loopDone = this.loop();
  }

  private cellsOf(width: number, height: number): number {
    const { h, w } = this.pipeline.latentSize(width, height);
    return h * w;
  }

  submit(job: GenerationJob): Promise<JobOutcome> {
    if (this.draining) return Promise.resolve({ ok: false, reason: "draining" });
    // Its connection closed before it got here: an abort listener added now would never fire.
    if (job.signal?.aborted) {
      this.events.canceled(job.tier);
      return Promise.resolve({ ok: false, reason: "canceled" });
    }
    const now = this.clock.now();
    const cells = this.cellsOf(job.params.width, job.params.height);
    const embedsGuidance = this.pipeline.embedsGuidance;
    const verdict = this.policy.fifo
      ? { ok: true as const, tier: job.tier, params: job.params, degraded: undefined }
      : admit(
          { tier: job.tier, params: job.params, cells, embedsGuidance },
          this.items,
          this.cost,
          job.budgetMs,
          job.allowDegrade ?? false,
        );
    if (!verdict.ok && verdict.beyondDeadline) {
      // Waiting cannot help a job that an idle origin could not finish in time: no Retry-After.
      this.events.rejected(job.tier, "beyond_deadline");
      const message = `This request takes longer here than the ${Math.max(0, Math.floor(job.budgetMs))} ms left before its deadline, even with nothing ahead of it.`;
      return Promise.resolve({ ok: false, reason: "deadline_exceeded", message });
    }
    if (!verdict.ok) {
      this.events.rejected(job.tier, "overloaded");
      return Promise.resolve({
        ok: false,
        reason: "overloaded",
        retryAfterMs: verdict.retryAfterMs,
      });
    }
    return new Promise<JobOutcome>((resolve) => {
      const item = new WorkItem(
        this.seq++,
        job,
        verdict.params,
        verdict.tier,
        now,
        now + job.budgetMs,
        cells,
        resolve,
        verdict.degraded,
        embedsGuidance,
      );
      if (this.queuedRows(item.tier) + item.unetRows > this.policy.tiers[item.tier].maxQueuedRows) {
        this.events.rejected(job.tier, "queue_full");
        return resolve({ ok: false, reason: "overloaded", retryAfterMs: 1000 });
      }
      this.items.push(item);
      if (verdict.degraded) this.events.degraded(job.tier);
      job.signal?.addEventListener("abort", () => this.cancelItem(item), { once: true });
      job.onEvent?.({
        type: "queued",
        position: this.items.filter((i) => i.state === "queued").length,
      });
      this.clock.wake();
    });
  }

  cancel(requestId: string): boolean {
    // Every run of the id: a retry may have started afresh beside a run still being canceled.
    const matching = this.items.filter((i) => i.job.requestId === requestId);
    for (const item of matching) this.cancelItem(item);
    return matching.length > 0;
  }

  private cancelItem(item: WorkItem) {
    item.canceled = true;
    this.clock.wake();
  }

  private queuedRows(tier: Tier): number {
    return this.items
      .filter((i) => i.tier === tier && i.state !== "running")
      .reduce((s, i) => s + i.unetRows, 0);
  }

  private remove(item: WorkItem, outcome: JobOutcome) {
    const index = this.items.indexOf(item);
    if (index >= 0) this.items.splice(index, 1);
    item.resolve(outcome);
  }

  /** Drops canceled and expired work at a step boundary, freeing its rows. */
  private reap(now: number) {
    for (const item of [...this.items]) {
      if (item.canceled) {
        this.events.canceled(item.tier);
        this.remove(item, { ok: false, reason: "canceled" });
      } else if (now > item.deadlineAt) {
        this.events.deadlineDropped(item.tier);
        this.remove(item, { ok: false, reason: "deadline_exceeded" });
      }
    }
  }

  private async loop(): Promise<void> {
    const ctx: StepContext = {
      pipeline: this.pipeline,
      latents: this.latents,
      now: () => this.clock.now(),
      decodeImages: this.policy.deviceDecodeImages,
      watch: (call, run) =>
        this.watchdog ? this.watchdog.watch(call, predictedMs(this.cost, call), run) : run,
    };
    while (!this.draining || this.items.length > 0) {
      const now = this.clock.now();
      this.reap(now);
      if (this.hung) {
        // The origin is failed and about to be restarted: work that still reaches it fails now.
        this.failAll([...this.items], this.hung);
        if (!this.draining) await this.clock.sleep(60_000);
        continue;
      }
      const plan = planStep(this.items, this.policy, now);
      if (plan.run.length === 0) {
        if (this.draining && this.items.length === 0) break;
        await this.clock.sleep(plan.wakeAt === null ? 60_000 : Math.max(0, plan.wakeAt - now));
        continue;
      }
      await this.runStep(ctx, plan.run, now).catch((error: Error) =>
        this.failStep(plan.run, error),
      );
    }
  }

  private async runStep(ctx: StepContext, run: WorkItem[], now: number) {
    for (const item of this.items) {
      if (item.state === "running" && !run.includes(item)) {
        item.state = "paused";
        item.waitingSince = now;
        this.events.preempted(item.tier);
      }
    }
    for (const item of run) {
      if (item.state === "queued") {
        item.startedAt = now;
        this.events.queueWait(item.tier, now - item.enqueuedAt);
        item.job.onEvent?.({ type: "started" });
        // A newcomer that cannot start (its prompt's encoding threw) fails alone: the batch it
        // was to join is mid-denoise, and its other rows run on.
        const failure = await startItem(ctx, item).catch((error: Error): JobOutcome => {
          if (error instanceof GraphHang) throw error;
          return { ok: false, reason: "runtime_error", message: error.message };
        });
        if (failure) {
          this.remove(item, failure);
          continue;
        }
        this.cost.observeEncode(item.textEncodeMs);
        this.events.computed("text_encode", item.textEncodeMs);
      }
      if (this.items.includes(item)) item.state = "running";
    }
    const live = run.filter((i) => this.items.includes(i) && !i.finished);
    const rows = live.reduce((s, i) => s + i.unetRows, 0);
    if (live.length > 0) {
      const ms = await stepItems(ctx, live);
      this.events.batchRows(rows);
      this.events.computed("denoise_step", ms);
      this.cost.observeStep(
        ms,
        rows,
        live[0]!.latentCells,
        live.map((i) => i.tier),
      );
    }
    const done = run.filter((i) => this.items.includes(i) && i.finished);
    if (done.length > 0) {
      for (const item of done) this.items.splice(this.items.indexOf(item), 1);
      const ms = await finishItems(ctx, done);
      this.events.computed("decode", ms);
      this.cost.observeDecode(
        ms,
        done.reduce((s, i) => s + i.params.n, 0),
        done[0]!.latentCells,
      );
    }
  }

  /**
   * A hung call cannot be canceled, and the runtime under it runs nothing more: every job here fails
   * now (a 500, which the edge runs in another region), and whatever the call returns later is
   * dropped by the watchdog. The watchdog has logged it and reported the origin failed.
   */
  private failStep(run: WorkItem[], error: Error) {
    if (!(error instanceof GraphHang)) return this.failAll(run, error);
    this.hung = error;
    // The finished jobs of a hung decode have left `items` already; they are in `run`.
    this.failAll([...new Set([...run, ...this.items])], error);
  }

  /** A runtime failure fails the work in that batch (as a 500 upstream) but never the loop. */
  private failAll(run: WorkItem[], error: Error) {
    if (!(error instanceof GraphHang)) console.error("batcher: step failed", error);
    for (const item of run) {
      const index = this.items.indexOf(item);
      if (index >= 0) this.items.splice(index, 1);
      item.resolve({ ok: false, reason: "runtime_error", message: error.message });
    }
  }

  load(): Record<Tier, TierLoad> {
    const cells = this.cellsOf(256, 256);
    const entries = TIERS.map((tier) => [
      tier,
      {
        queue_depth: this.items.filter((i) => i.tier === tier && i.state === "queued").length,
        predicted_wait_ms: workAheadMs(this.items, tier, this.cost),
        step_ms: this.cost.stepMs(tier) || this.cost.rowStepMs(cells),
      },
    ]);
    return Object.fromEntries(entries) as Record<Tier, TierLoad>;
  }

  costs(): LoadCosts {
    // Latent cells per megapixel of output, from the 256² bucket every model has.
    const cells = (this.cellsOf(256, 256) * 1_000_000) / (256 * 256);
    return {
      row_step_ms_per_mpx: this.cost.rowStepMs(cells),
      decode_ms_per_mpx: this.cost.decodeMs(1, cells),
    };
  }

  inFlight(): number {
    return this.items.reduce((s, i) => s + i.unetRows, 0);
  }

  /** UNet rows per state: waiting to start, in the running batch, paused by preemption. */
  rowsByState(): Record<WorkState, number> {
    const rows: Record<WorkState, number> = { queued: 0, running: 0, paused: 0 };
    for (const item of this.items) rows[item.state] += item.unetRows;
    return rows;
  }

  /**
   * Stops admitting and finishes the work that has started. Work still queued would only start now
   * to be cut off by the drain's timeout, so it is handed back at once as `draining` (503
   * not_ready), which the edge runs in another region.
   */
  async drain(): Promise<void> {
    this.draining = true;
    for (const item of [...this.items]) {
      if (item.state === "queued") this.remove(item, { ok: false, reason: "draining" });
    }
    this.clock.wake();
    await this.loopDone;
  }

  /**
   * Past the drain's deadline: every job still here is handed back as `draining` now. The graph
   * call in progress completes (a process must not exit under onnxruntime's threads), then the
   * loop stops and `drain()` resolves.
   */
  abandon(): void {
    this.draining = true;
    for (const item of [...this.items]) this.remove(item, { ok: false, reason: "draining" });
    this.clock.wake();
  }
}
