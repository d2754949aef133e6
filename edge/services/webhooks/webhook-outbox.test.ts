// WebhookOutbox on a real Durable Object's SQLite (a GenerationJob instance), with a scripted receiver.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { WebhookSend } from "./webhook-attempt";
import { WebhookOutbox, type WebhookOutboxOptions } from "./webhook-outbox";
import type { OutboxSql } from "./webhook-outbox-store";
import { backoffMs, DEFAULT_RETRY_POLICY, verdictOf } from "./webhook-retry-policy";
import { verifyWebhook } from "./webhook-signature";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const URL_ = "https://hooks.example.com/darkroom";
const T0 = Date.UTC(2026, 0, 1);

type Step = number | { status: number; retryAfter?: string } | "network" | "hang";
interface Received {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** A fake receiver (named as such): answers each attempt with the next scripted step. */
function scriptedReceiver(steps: Step[]) {
  const received: Received[] = [];
  const send: WebhookSend = async (url, init) => {
    received.push({ url, headers: init.headers, body: init.body });
    const step = steps[Math.min(received.length - 1, steps.length - 1)]!;
    if (step === "network") throw new TypeError("connection refused");
    if (step === "hang") {
      return new Promise<Response>((_, fail) =>
        init.signal.addEventListener("abort", () => fail(init.signal.reason)),
      );
    }
    const { status, retryAfter } = typeof step === "number" ? { status: step } : step;
    const headers = retryAfter ? { "retry-after": retryAfter } : undefined;
    return new Response(status === 204 ? null : "ok", { status, headers });
  };
  return { send, received };
}

/** Runs `body` inside a fresh GenerationJob object, on its own SQLite storage. */
function withSql<R>(name: string, body: (sql: OutboxSql) => Promise<R>): Promise<R> {
  const stub = env.JOBS.get(env.JOBS.idFromName(`webhook-outbox-test-${name}`));
  return runInDurableObject(stub, (_instance, state) => body(state.storage.sql));
}

const outboxOn = (sql: OutboxSql, over: Partial<WebhookOutboxOptions> = {}) =>
  new WebhookOutbox(sql, { secret: SECRET, random: () => 0.5, ...over });

const event = { url: URL_, type: "job.completed", data: { id: "job_1", status: "completed" } };

describe("WebhookOutbox", () => {
  it("retries with growing waits until the receiver accepts, and logs every attempt", () =>
    withSql("retry", async (sql) => {
      const outbox = outboxOn(sql);
      const receiver = scriptedReceiver([503, "network", 200]);
      const record = outbox.enqueue(event, T0);
      expect(record).toMatchObject({ status: "pending", attempts: [] });
      expect(outbox.nextDueAtMs()).toBe(T0);

      const second = await outbox.deliverDue(receiver.send, T0);
      expect(second).toBe(T0 + 1_100); // 1 s, stretched by jitter 0.2 · 0.5
      // Not due yet: nothing is sent.
      expect(await outbox.deliverDue(receiver.send, T0 + 1_000)).toBe(second);
      expect(receiver.received).toHaveLength(1);
      const third = await outbox.deliverDue(receiver.send, second!);
      expect(third).toBe(second! + 2_200);
      // A fresh outbox over the same storage carries on where the first left off.
      expect(await outboxOn(sql).deliverDue(receiver.send, third!)).toBeNull();
      expect(receiver.received).toHaveLength(3);

      const sentAt = [T0, second!, third!];
      for (const [i, message] of receiver.received.entries()) {
        expect(message.url).toBe(URL_);
        expect(message.headers["webhook-id"]).toBe(record.id);
        expect(message.headers["webhook-timestamp"]).toBe(String(Math.floor(sentAt[i]! / 1000)));
        const check = await verifyWebhook(SECRET, message.headers, message.body, {
          now: sentAt[i],
        });
        expect(check.ok).toBe(true);
      }
      expect(JSON.parse(receiver.received[2]!.body)).toEqual({
        type: "job.completed",
        timestamp: new Date(T0).toISOString(),
        data: event.data,
      });

      const [log] = outbox.deliveries();
      expect(log).toMatchObject({ id: record.id, status: "delivered", next_attempt_at: null });
      expect(log!.attempts.map((a) => [a.attempt, a.status_code, a.outcome])).toEqual([
        [1, 503, "retrying"],
        [2, null, "retrying"],
        [3, 200, "delivered"],
      ]);
      expect(log!.attempts[1]!.error).toContain("network");
      expect(log!.attempts.map((a) => a.at)).toEqual(sentAt.map((t) => new Date(t).toISOString()));
      const text = JSON.stringify(outbox.deliveries());
      expect(text).not.toContain(SECRET.slice(6));
      expect(text).not.toContain("v1,");
    }));

  it("stops at once on a 4xx other than 408 and 429", () =>
    withSql("permanent", async (sql) => {
      const outbox = outboxOn(sql);
      const receiver = scriptedReceiver([404, 200]);
      outbox.enqueue(event, T0);
      expect(await outbox.deliverDue(receiver.send, T0)).toBeNull();
      expect(await outbox.deliverDue(receiver.send, T0 + 3_600_000)).toBeNull();
      expect(receiver.received).toHaveLength(1);
      const [log] = outbox.deliveries();
      expect(log).toMatchObject({ status: "failed", next_attempt_at: null });
      expect(log!.attempts).toMatchObject([{ status_code: 404, outcome: "failed" }]);
    }));

  it("retries 408, 429 and timeouts, and waits as long as Retry-After asks", () =>
    withSql("retryable", async (sql) => {
      const outbox = outboxOn(sql, { timeoutMs: 20 });
      const receiver = scriptedReceiver([{ status: 429, retryAfter: "30" }, 408, "hang", 204]);
      outbox.enqueue(event, T0);
      const afterRetryAfter = await outbox.deliverDue(receiver.send, T0);
      expect(afterRetryAfter).toBe(T0 + 30_000);
      const afterTimeout = await outbox.deliverDue(receiver.send, afterRetryAfter!);
      const afterHang = await outbox.deliverDue(receiver.send, afterTimeout!);
      expect(await outbox.deliverDue(receiver.send, afterHang!)).toBeNull();
      const [log] = outbox.deliveries();
      expect(log!.status).toBe("delivered");
      expect(log!.attempts.map((a) => a.status_code ?? a.error)).toEqual([
        429,
        408,
        "timeout",
        204,
      ]);
    }));

  it("gives up after maxAttempts and records the last attempt as failed", () =>
    withSql("exhausted", async (sql) => {
      const outbox = outboxOn(sql, { maxAttempts: 3 });
      const receiver = scriptedReceiver([500]);
      outbox.enqueue(event, T0);
      let next: number | null = T0;
      while (next !== null) next = await outbox.deliverDue(receiver.send, next);
      expect(receiver.received).toHaveLength(3);
      const [log] = outbox.deliveries();
      expect(log!.status).toBe("failed");
      expect(log!.attempts.map((a) => a.outcome)).toEqual(["retrying", "retrying", "failed"]);
    }));

  it("does not send a delivery twice when two callers run while an attempt is in flight", () =>
    withSql("lease", async (sql) => {
      const outbox = outboxOn(sql);
      let release: (r: Response) => void = () => {};
      let sends = 0;
      const send: WebhookSend = () => {
        sends++;
        return new Promise<Response>((resolve) => {
          release = resolve;
        });
      };
      outbox.enqueue(event, T0);
      const first = outbox.deliverDue(send, T0);
      await Promise.resolve();
      while (sends === 0) await new Promise((r) => setTimeout(r, 1));
      expect(await outbox.deliverDue(send, T0 + 1)).toBeGreaterThan(T0 + 1);
      release(new Response(null, { status: 200 }));
      expect(await first).toBeNull();
      expect(sends).toBe(1);
    }));

  it("keeps deliveries apart: each has its own id, schedule and log", () =>
    withSql("several", async (sql) => {
      const outbox = outboxOn(sql);
      const a = outbox.enqueue({ ...event, type: "job.failed" }, T0);
      const b = outbox.enqueue({ ...event, url: "https://other.example.com/h" }, T0 + 1);
      expect(a.id).not.toBe(b.id);
      const receiver = scriptedReceiver([200]);
      expect(await outbox.deliverDue(receiver.send, T0)).toBe(T0 + 1);
      expect(await outbox.deliverDue(receiver.send, T0 + 1)).toBeNull();
      expect(outbox.deliveries().map((d) => [d.id, d.type, d.url, d.status])).toEqual([
        [a.id, "job.failed", URL_, "delivered"],
        [b.id, "job.completed", "https://other.example.com/h", "delivered"],
      ]);
    }));
});

describe("retry policy", () => {
  it("classifies outcomes", () => {
    const response = (statusCode: number) => ({
      kind: "response" as const,
      statusCode,
      retryAfterS: null,
    });
    const table = [200, 204, 299, 301, 400, 401, 404, 408, 410, 429, 500, 502, 503].map((code) => [
      code,
      verdictOf(response(code)),
    ]);
    expect(Object.fromEntries(table)).toEqual({
      200: "delivered",
      204: "delivered",
      299: "delivered",
      301: "failed",
      400: "failed",
      401: "failed",
      404: "failed",
      408: "retry",
      410: "failed",
      429: "retry",
      500: "retry",
      502: "retry",
      503: "retry",
    });
    expect(verdictOf({ kind: "error", error: "timeout" })).toBe("retry");
  });

  it("doubles from 1 s, jitter never reorders waits, and the cap holds", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, maxDelayMs: 60_000 };
    const low = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, policy, () => 0));
    expect(low).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
    const high = [1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, policy, () => 0.999));
    for (let n = 1; n < 6; n++) expect(high[n - 1]!).toBeLessThan(low[n]!);
    expect(backoffMs(1, policy, () => 0, 3_600)).toBe(60_000);
  });
});
