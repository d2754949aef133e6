// GenerationJob Durable Object (one per job, idFromName(jobId)): an async job's state, events and results.
//
// The job runs in the object's alarm, not in the request that created it, so it survives the client
// going away: in stretches of at most JOB_HANDOVER_MS (an alarm may last 15 minutes), each alarm
// attaching at the origin where the last one stopped reading. The same alarm later retries
// webhook deliveries and finally deletes the record.
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../../env";
import type { OriginTarget } from "../origins/origin-config";
import { type Services, servicesFromEnv } from "../services";
import { sseHeartbeatMs } from "../streams/sse-heartbeat";
import { failureAsJobError } from "./job-errors";
import {
  auditJobEnd,
  deliveredImages,
  retryPendingSettlement,
  SETTLE_RETRY_MS,
  settleJob,
  terminalEvent,
} from "./job-finish";
import { type JobEnd, type JobRunDeps, type RunStretch, resumeJob, runJob } from "./job-run";
import { snapshotOf } from "./job-snapshot";
import {
  isFinished,
  type JobError,
  type JobEvent,
  type JobSnapshot,
  type JobSpec,
  retainedSpec,
} from "./job-spec";
import { type JobRow, JobStore } from "./job-store";
import { JobSubscribers } from "./job-subscribers";
import {
  ALARM_WALL_LIMIT_MS,
  CANCEL_GRACE_MS,
  delay,
  handoverMs,
  MAX_DROPS_IN_A_ROW,
  retentionMs,
  WATCHDOG_MARGIN_MS,
} from "./job-timing";
import {
  enqueueJobWebhook,
  jobWebhookDeliveries,
  jobWebhookOutbox,
  jobWebhookQueue,
  webhookSend,
} from "./job-webhooks";
import { cancelAtOrigin } from "./origin-cancel";
import { StreamStop } from "./origin-stream";

/** The path of the object's one `fetch` route: its event stream (see `fetch`). */
export const JOB_EVENTS_PATH = "/events";

interface ActiveRun {
  readonly stop: AbortController;
  origin: OriginTarget | null;
  readonly ended: Promise<void>;
  readonly startedAtMs: number;
}

export type CancelAnswer = { readonly canceled: boolean; readonly job: JobSnapshot };

export class GenerationJob extends DurableObject<Bindings> {
  private readonly store: JobStore;
  private readonly subscribers = new JobSubscribers();
  private active: ActiveRun | null = null;
  /** The end being settled and recorded: the first decided end wins, later ones wait for it. */
  private finishing: Promise<void> | null = null;
  private lastStep = 0;
  private startedAt: number | null = null;
  /** Streams that broke off in a row with no event taken since, and the last one's error. */
  private drops = 0;
  private dropped: JobError | null = null;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.store = new JobStore(ctx.storage.sql);
  }

  /** Idempotent by job id: a repeat returns the job as it stands. */
  async create(spec: JobSpec): Promise<JobSnapshot> {
    if (!this.store.load()) {
      this.store.insert(spec);
      await this.ctx.storage.setAlarm(Date.now());
    }
    return this.snapshotOwned(spec.tenantId) as JobSnapshot;
  }

  /** Null for another tenant's job exactly as for no job: ids never reveal that they exist. */
  async get(tenantId: string): Promise<JobSnapshot | null> {
    return this.snapshotOwned(tenantId);
  }

  /**
   * `GET /events?tenant=&after=`: the job's events after `after`, as a streamed body (404 for
   * another tenant's job as for none). A stream goes out through `fetch`, not returned from an RPC
   * method: over RPC, workerd reported every reader that hung up mid-stream as an uncaught
   * "Network connection lost" in this object; a response body's reader going away is an ordinary
   * cancellation.
   */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method !== "GET" || url.pathname !== JOB_EVENTS_PATH) {
      return new Response(null, { status: 404 });
    }
    const stream = this.events(
      url.searchParams.get("tenant") ?? "",
      Number(url.searchParams.get("after") ?? 0),
    );
    if (stream === "full") return new Response(null, { status: 429 });
    return stream ? new Response(stream) : new Response(null, { status: 404 });
  }

  private events(tenantId: string, afterId: number): ReadableStream<Uint8Array> | "full" | null {
    const row = this.owned(tenantId);
    if (!row) return null;
    if (!isFinished(row.status) && this.subscribers.full) return "full";
    // Backlog and subscription with no await between: nothing lost, nothing sent twice.
    return this.subscribers.subscribe(
      this.store.eventsAfter(afterId),
      isFinished(row.status),
      sseHeartbeatMs(this.env),
    );
  }

  /** Ends a queued or running job as `canceled`; a finished job is left as it is (`canceled: false`). */
  async cancel(tenantId: string): Promise<CancelAnswer | null> {
    const row = this.owned(tenantId);
    if (!row) return null;
    if (!isFinished(row.status)) await this.stopRun(row.spec);
    const job = this.snapshotOwned(tenantId) as JobSnapshot;
    return { canceled: job.status === "canceled", job };
  }

  override async alarm(): Promise<void> {
    // An end is being recorded (a cancel before the first run, say): the job must not start now.
    if (this.finishing) return this.finishing;
    const row = this.store.load();
    if (!row) return;
    if (!isFinished(row.status)) return this.advance(row);
    if (row.expiresAtMs !== null && row.expiresAtMs <= Date.now()) {
      await this.ctx.storage.deleteAlarm();
      await this.ctx.storage.deleteAll();
      this.store.forget();
      return;
    }
    await this.retrySettlement(row);
    if (row.spec.webhookUrl) {
      const outbox = await jobWebhookOutbox(this.ctx.storage.sql, this.env, row.spec.tenantId);
      await outbox?.deliverDue(webhookSend, Date.now());
    }
    await this.scheduleAlarm();
  }

  private async advance(row: JobRow): Promise<void> {
    const running = this.live();
    if (running) {
      // The watchdog fired while the runner still runs: past its deadline, end it; before it, the
      // run overstayed its stretch, so hand it over now.
      const late = Date.now() >= row.spec.createdAtMs + row.spec.plan.deadlineMs;
      running.stop.abort(new StreamStop(late ? "deadline" : "handover"));
      return;
    }
    if (row.originUrl === null) {
      await this.run(row.spec, (deps) => runJob(deps));
      return;
    }
    // Dispatched by an earlier alarm (which handed the run over) or an instance that restarted:
    // the origin still runs it, if its grace has not run out.
    const origin = { region: row.region ?? "", url: row.originUrl };
    const after = this.store.originCursor();
    const started = row.startedAtMs !== null;
    const resumed = await this.run(row.spec, async (deps) => {
      const end = await resumeJob(deps, origin, after, started);
      if (end?.status !== "handed_back") return end;
      // That origin drained before the job started there: another region takes it.
      return runJob({ ...deps, excludeRegions: [origin.region] });
    });
    if (resumed) return;
    await cancelAtOrigin(origin, row.spec.generationId, { secret: this.env.ORIGIN_SHARED_SECRET });
    const message =
      "The job's run was lost between two stretches of following it (the origin or the edge restarted); nothing was charged.";
    // A stream that broke off, and then nothing to attach to: the origin went with it; say so.
    const error =
      this.dropped ??
      failureAsJobError({ kind: "internal", code: "upstream_error", message }, row.spec.requestId);
    await this.finish(row.spec, { status: "failed", error });
  }

  /**
   * One stretch of the job's run, at most `handoverMs` (an alarm may last 15 minutes): it ends the
   * job, or hands it over to the next alarm, which attaches to the origin again. False when
   * `stretch` found nothing to follow (a resumed run the origin no longer has).
   */
  private async run(
    spec: JobSpec,
    stretch: (deps: JobRunDeps) => Promise<RunStretch | null>,
  ): Promise<boolean> {
    let ended!: () => void;
    const active: ActiveRun = {
      stop: new AbortController(),
      origin: null,
      ended: new Promise<void>((resolve) => {
        ended = resolve;
      }),
      startedAtMs: Date.now(),
    };
    this.active = active;
    const row = this.store.load();
    if (row?.originUrl) active.origin = { region: row.region ?? "", url: row.originUrl };
    // An instance that restarted knows only what the row says: the start stands, steps go forward.
    if (row) {
      this.startedAt ??= row.startedAtMs;
      this.lastStep = Math.max(this.lastStep, row.step ?? 0);
    }
    try {
      const now = Date.now();
      const handoverAtMs = now + handoverMs(this.env);
      const deadlineAt = spec.createdAtMs + spec.plan.deadlineMs;
      // The watchdog: a stretch that neither ended nor handed over by then is stopped.
      await this.ctx.storage.setAlarm(Math.min(deadlineAt, handoverAtMs) + WATCHDOG_MARGIN_MS);
      const services = this.services();
      const end = await stretch({
        spec,
        regions: services.regions,
        images: services.images,
        secret: this.env.ORIGIN_SHARED_SECRET,
        signal: active.stop.signal,
        onDispatched: (origin) => {
          active.origin = origin;
          this.store.dispatched(origin.region, origin.url);
        },
        emit: (event) => this.emit(event),
        handoverAtMs,
        onEventTaken: (id) => {
          this.store.originEventTaken(id);
          this.drops = 0;
          this.dropped = null;
        },
      }).catch((error: unknown): JobEnd => {
        const log = { level: "error", msg: "job run failed", job_id: spec.jobId };
        console.error(JSON.stringify({ ...log, message: String(error) }));
        const message = "The job failed unexpectedly; nothing was charged.";
        const why = { kind: "internal", code: "internal_error", message } as const;
        return { status: "failed", error: failureAsJobError(why, spec.requestId) };
      });
      if (end === null) return false;
      if (end.status === "dropped" && this.drops < MAX_DROPS_IN_A_ROW) {
        // The stream broke off (a proxy's limit, a reset): the run may well go on at the origin.
        this.drops += 1;
        this.dropped = end.error;
      } else if (end.status === "dropped") {
        await this.finish(spec, { status: "failed", error: end.error });
        return true;
      } else if (end.status !== "handover") {
        await this.finish(spec, end);
        return true;
      }
      // The next alarm attaches to the run where this one stopped reading.
      await this.ctx.storage.setAlarm(Date.now());
      return true;
    } finally {
      // (A run dropped as cut off, that ends after all, must not clear its successor.)
      if (this.active === active) this.active = null;
      ended();
    }
  }

  /** The run going on in this instance, if any; one left by a cut-off alarm is dropped. */
  private live(): ActiveRun | null {
    if (this.active && Date.now() - this.active.startedAtMs > ALARM_WALL_LIMIT_MS) {
      this.active.stop.abort(new StreamStop("handover"));
      this.active = null;
    }
    return this.active;
  }

  private async stopRun(spec: JobSpec): Promise<void> {
    const active = this.live();
    if (!active) {
      // Dispatched by an instance that has since restarted: no stream here, but the origin may
      // still be computing it, so it is told as well.
      const row = this.store.load();
      if (row?.originUrl) {
        const origin = { region: row.region ?? "", url: row.originUrl };
        await cancelAtOrigin(origin, spec.generationId, { secret: this.env.ORIGIN_SHARED_SECRET });
      }
      return this.finish(spec, { status: "canceled" });
    }
    if (active.origin) {
      const secret = this.env.ORIGIN_SHARED_SECRET;
      const asked = await cancelAtOrigin(active.origin, spec.generationId, { secret });
      // The origin drops the rows at its next step boundary and says `canceled` on the stream; one
      // that has just finished (404) is sending `completed`: either way, let the stream end it.
      if (asked !== "unreachable") await Promise.race([active.ended, delay(CANCEL_GRACE_MS)]);
    }
    active.stop.abort(new StreamStop("canceled"));
    await active.ended;
    // The stretch handed over instead of ending (its time ran out while the cancel waited): the
    // origin was told, so the job ends canceled here.
    const row = this.store.load();
    if (row && !isFinished(row.status)) await this.finish(spec, { status: "canceled" });
  }

  private emit(event: JobEvent): void {
    if (event.event === "progress") {
      // Steps only move forward in the log, whatever an origin sends.
      if (event.data.step <= this.lastStep) return;
      this.lastStep = event.data.step;
      this.store.progressed(event.data.step, event.data.steps);
    }
    // An origin that skips `started` has started all the same once it reports a step.
    if (event.event === "started" || (event.event === "progress" && !this.startedAt)) {
      this.startedAt = Date.now();
      this.store.started(this.startedAt);
    }
    this.subscribers.publish(this.store.append(event), false);
  }

  /** Settles, records and says the end once, whichever path (run, cancel, watchdog) gets here first. */
  private finish(spec: JobSpec, end: JobEnd): Promise<void> {
    if (this.finishing) return this.finishing;
    const row = this.store.load();
    if (!row || isFinished(row.status)) return Promise.resolve();
    this.finishing = this.record(spec, end).finally(() => {
      this.finishing = null;
    });
    return this.finishing;
  }

  private async record(spec: JobSpec, end: JobEnd): Promise<void> {
    const writes: Promise<unknown>[] = [];
    const services = this.services((promise) => writes.push(promise));
    const charged = await settleJob(spec, end, services.gate);
    const now = Date.now();
    const outbox = spec.webhookUrl ? jobWebhookQueue(this.ctx.storage.sql, this.env) : null;
    const terminal = terminalEvent(spec, end);
    // State, log, push, webhook and a settlement still owed, together (no await between): a reader
    // sees all or none, and a restart loses none of them.
    this.store.finished(end, now, now + retentionMs(this.env), retainedSpec(spec));
    if (charged === null) this.store.settlementPending(deliveredImages(end), now + SETTLE_RETRY_MS);
    this.subscribers.publish(this.store.append(terminal), true);
    if (outbox && spec.webhookUrl) enqueueJobWebhook(outbox, spec.webhookUrl, terminal, now);
    await this.scheduleAlarm();
    // The audit record waits for the charge; it runs off the event's path, but within this call.
    if (charged !== null) auditJobEnd(spec, end, charged, services.audit);
    await Promise.allSettled(writes);
  }

  /** A settlement still owed, when due (see `retryPendingSettlement`). */
  private async retrySettlement(row: JobRow): Promise<void> {
    const writes: Promise<unknown>[] = [];
    await retryPendingSettlement(
      this.store,
      row,
      this.services((p) => writes.push(p)),
    );
    await Promise.allSettled(writes);
  }

  /** The next thing the alarm must do: a webhook attempt, or deleting the record at expiry. */
  private async scheduleAlarm(): Promise<void> {
    const row = this.store.load();
    if (!row?.expiresAtMs) return;
    const webhookDue = row.spec.webhookUrl
      ? jobWebhookQueue(this.ctx.storage.sql, this.env)?.nextDueAtMs()
      : null;
    const settleDue = this.store.pendingSettlement()?.nextAtMs;
    await this.ctx.storage.setAlarm(
      Math.min(webhookDue ?? Infinity, settleDue ?? Infinity, row.expiresAtMs),
    );
  }

  private owned(tenantId: string): JobRow | null {
    const row = this.store.load();
    return row && row.spec.tenantId === tenantId ? row : null;
  }

  private snapshotOwned(tenantId: string): JobSnapshot | null {
    const row = this.owned(tenantId);
    if (!row) return null;
    const sql = this.ctx.storage.sql;
    const deliveries = row.spec.webhookUrl ? jobWebhookDeliveries(sql) : [];
    return snapshotOf(row, this.store.lastEventId(), deliveries);
  }

  private services(waitUntil: (promise: Promise<unknown>) => void = () => {}): Services {
    return servicesFromEnv(this.env, waitUntil);
  }
}
