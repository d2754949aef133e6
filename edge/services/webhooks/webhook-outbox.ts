// A Durable Object's webhook outbox: durable deliveries, signed attempts with backoff, a readable log.
//
// Use from a Durable Object (single-threaded, so the synchronous SQL between awaits is atomic):
//   const outbox = new WebhookOutbox(ctx.storage.sql, { secret: await tenantWebhookSecret(…) });
//   outbox.enqueue({ url, type: "job.completed", data }, Date.now());
//   await ctx.storage.setAlarm(outbox.nextDueAtMs()!);
//   async alarm() { const next = await outbox.deliverDue(fetch, Date.now());
//                   if (next !== null) await ctx.storage.setAlarm(next); }
// Delivery is at least once: receivers dedupe on webhook-id, which every retry repeats.
import { randomBase62 } from "../ids/random-base62";
import { attemptDelivery, type WebhookSend } from "./webhook-attempt";
import {
  type AttemptOutcome,
  type AttemptRow,
  type DeliveryRow,
  type DeliveryStatus,
  type OutboxSql,
  WebhookOutboxStore,
} from "./webhook-outbox-store";
import {
  type AttemptResult,
  backoffMs,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  verdictOf,
} from "./webhook-retry-policy";

/** A payload is a job's summary (ids, status, image URLs), never image bytes. */
export const MAX_WEBHOOK_BODY_BYTES = 64 * 1024;
/** Deliveries sent together per call; the rest wait for the next alarm, which is due at once. */
const BATCH = 16;
/** Past an attempt's timeout, before a claimed delivery counts as abandoned (a crash mid-attempt). */
const LEASE_SLACK_MS = 5_000;

export interface WebhookOutboxOptions extends Partial<RetryPolicy> {
  /** The tenant's `whsec_…` secret(s) (webhookSigningSecrets). Only ever used to sign; never stored. */
  secret: string | readonly string[];
  /** For jitter; tests pin it. */
  random?: () => number;
}

export interface WebhookEvent {
  url: string;
  /** e.g. "job.completed"; becomes the body's `type`. */
  type: string;
  data: unknown;
}

/** One attempt as the tenant sees it. */
export interface WebhookAttemptLog {
  attempt: number;
  at: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  outcome: AttemptOutcome;
}

/** One delivery and all its attempts: what the tenant may read (no secret, no signature). */
export interface WebhookDeliveryLog {
  id: string;
  type: string;
  url: string;
  status: DeliveryStatus;
  created_at: string;
  next_attempt_at: string | null;
  attempts: WebhookAttemptLog[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export class WebhookOutbox {
  private readonly store: WebhookOutboxStore;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;

  constructor(
    sql: OutboxSql,
    private readonly options: WebhookOutboxOptions,
  ) {
    this.store = new WebhookOutboxStore(sql);
    const { secret: _secret, random, ...policy } = options;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...policy };
    this.random = random ?? Math.random;
  }

  /** Stores a delivery due at once. The body is fixed here, so every attempt signs the same bytes. */
  enqueue(event: WebhookEvent, nowMs: number): WebhookDeliveryLog {
    const body = JSON.stringify({ type: event.type, timestamp: iso(nowMs), data: event.data });
    if (new TextEncoder().encode(body).length > MAX_WEBHOOK_BODY_BYTES) {
      throw new Error(`webhook body over ${MAX_WEBHOOK_BODY_BYTES} bytes: send a summary`);
    }
    const row: DeliveryRow = {
      id: `msg_${randomBase62(24)}`,
      type: event.type,
      url: event.url,
      body,
      status: "pending",
      attempts: 0,
      next_attempt_at_ms: nowMs,
      created_at_ms: nowMs,
    };
    this.store.insert(row);
    return toLog(row, []);
  }

  /** When the next attempt is due (epoch ms), or null when nothing is pending. */
  nextDueAtMs(): number | null {
    return this.store.nextDueAtMs();
  }

  /** Sends every due delivery once, records each attempt, and says when to run again (or null). */
  async deliverDue(send: WebhookSend, nowMs: number): Promise<number | null> {
    const due = this.store.due(nowMs, BATCH);
    for (const row of due) {
      this.store.claim(row.id, nowMs + this.policy.timeoutMs + LEASE_SLACK_MS);
    }
    await Promise.all(due.map((row) => this.attempt(send, row, nowMs)));
    return this.store.nextDueAtMs();
  }

  deliveries(): WebhookDeliveryLog[] {
    const { deliveries, attempts } = this.store.all();
    return deliveries.map((row) =>
      toLog(
        row,
        attempts.filter((a) => a.delivery_id === row.id),
      ),
    );
  }

  private async attempt(send: WebhookSend, row: DeliveryRow, nowMs: number): Promise<void> {
    const attempt = row.attempts + 1;
    const result = await attemptDelivery(send, {
      url: row.url,
      id: row.id,
      body: row.body,
      secret: this.options.secret,
      nowMs,
      timeoutMs: this.policy.timeoutMs,
    });
    const verdict = verdictOf(result);
    const retrying = verdict === "retry" && attempt < this.policy.maxAttempts;
    const outcome: AttemptOutcome =
      verdict === "delivered" ? "delivered" : retrying ? "retrying" : "failed";
    const next = retrying
      ? nowMs + backoffMs(attempt, this.policy, this.random, retryAfterOf(result))
      : null;
    this.store.record(
      {
        delivery_id: row.id,
        attempt,
        at_ms: nowMs,
        status_code: result.kind === "response" ? result.statusCode : null,
        error: result.kind === "error" ? result.error : null,
        duration_ms: result.durationMs,
        outcome,
      },
      outcome === "retrying" ? "pending" : outcome,
      next,
    );
  }
}

const retryAfterOf = (result: AttemptResult) =>
  result.kind === "response" ? result.retryAfterS : null;

function toLog(row: DeliveryRow, attempts: AttemptRow[]): WebhookDeliveryLog {
  return {
    id: row.id,
    type: row.type,
    url: row.url,
    status: row.status,
    created_at: iso(row.created_at_ms),
    next_attempt_at: row.next_attempt_at_ms === null ? null : iso(row.next_attempt_at_ms),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      at: iso(a.at_ms),
      status_code: a.status_code,
      error: a.error,
      duration_ms: a.duration_ms,
      outcome: a.outcome,
    })),
  };
}
