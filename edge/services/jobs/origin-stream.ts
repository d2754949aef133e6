// Streams one generation from the best origin that answers: fails over before the first event, never after;
// and attaches to a run handed over between alarms (`openAttachStream`).
import { errorBody } from "../../../protocol/errors";
import type { GenerationEvent } from "../../../protocol/events";
import { signRequest } from "../../../protocol/signing";
import { DEFAULT_FAILOVER_TIMING, firstByteBudget } from "../origins/failover-timing";
import type { FetchLike } from "../origins/origin-call";
import type { OriginTarget } from "../origins/origin-config";
import {
  answeredDeadline,
  type DispatchFailure,
  isOverloaded,
  type OriginRequest,
  sooner,
} from "../origins/origin-dispatch";
import { readOriginError, retryAfterSeconds } from "../origins/origin-response";
import { hasOriginSecret, isRefusedSignature, logRefusedSignature } from "../origins/origin-secret";
import { type AttemptVerdict, mayTry, type RouteCandidate } from "../regions/region-router";
import { type ReadResult, SseEventReader, type StreamedEvent } from "./sse-event-reader";

const GENERATE_PATH = "/internal/v1/generate";
const ATTACH_PATH = "/internal/v1/attach";
/** The origin answers only once its scheduler has admitted (or refused) the job: normally within
 *  milliseconds. An origin silent for this long is treated as down and the next one is tried; with
 *  another candidate left, sooner: within the first-byte budget the sync path uses (failover-timing),
 *  so a hung origin still leaves the next one its share of the deadline. */
export const FIRST_EVENT_TIMEOUT_MS = 15_000;
/** Past the deadline the origin's own check answers first; this covers the last event's transfer. */
const STREAM_GRACE_MS = 5_000;

export interface OriginStreamOptions {
  readonly secret: string;
  readonly traceparent: string;
  /** The whole generation's deadline; each attempt gets what is left of it. */
  readonly budgetMs: number;
  /** Aborting it ends the stream; its reason decides the terminal event (see `StreamStop`). */
  readonly signal?: AbortSignal;
  /** Told each attempt's verdict and when that attempt began (see RegionRouter.record). */
  readonly record: (region: string, verdict: AttemptVerdict, startedAt: number) => void;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
  readonly firstEventTimeoutMs?: number;
}

/**
 * Abort reasons a caller may give: a cancel ends the stream `canceled`; a handover ends it with no
 * terminal event at all (the run goes on at the origin, and `openAttachStream` picks it up again);
 * anything else ends it `failed`.
 */
export class StreamStop extends Error {
  constructor(readonly why: "canceled" | "deadline" | "handover") {
    super(why);
    this.name = "StreamStop";
  }
}

export type OriginStream =
  | {
      readonly ok: true;
      readonly origin: OriginTarget;
      /**
       * Starts with the first event and ends with exactly one terminal event, whatever happens,
       * except a handover (`StreamStop("handover")`), which ends it without one.
       */
      readonly events: AsyncGenerator<StreamedEvent, void>;
    }
  | { readonly ok: false; readonly failure: DispatchFailure; readonly attempts: number };

type Attempt =
  | { readonly ok: true; readonly reader: SseEventReader; readonly first: StreamedEvent | null }
  | { readonly ok: false; readonly verdict: DispatchFailure | "next" | "next_after_error" };

export async function openOriginStream(
  candidates: readonly RouteCandidate[],
  request: OriginRequest & { preview_every: number },
  options: OriginStreamOptions,
): Promise<OriginStream> {
  if (!hasOriginSecret(options.secret)) {
    return { ok: false, failure: { kind: "no_capacity" }, attempts: 0 };
  }
  const now = options.now ?? Date.now;
  const startedAt = now();
  let attempts = 0;
  let serverError: string | null = null;
  let busy: DispatchFailure | null = null;
  for (const [index, target] of candidates.entries()) {
    const remaining = options.budgetMs - (now() - startedAt);
    if (remaining < 100 || options.signal?.aborted) break;
    if (!(await mayTry(target))) continue;
    const next = candidates[index + 1] ?? null;
    const firstEventMs =
      options.firstEventTimeoutMs ??
      Math.min(
        FIRST_EVENT_TIMEOUT_MS,
        firstByteBudget(target, next, remaining, DEFAULT_FAILOVER_TIMING) ?? remaining,
      );
    attempts += 1;
    const attemptStartedAt = now();
    const stop = new AbortController();
    const signal = AbortSignal.any([
      stop.signal,
      AbortSignal.timeout(remaining + STREAM_GRACE_MS),
      ...(options.signal ? [options.signal] : []),
    ]);
    const body = JSON.stringify({ ...request, deadline_ms: Math.floor(remaining) });
    const attempt = await attemptStream(
      target,
      { path: GENERATE_PATH, body },
      signal,
      stop,
      firstEventMs,
      options,
    );
    if (attempt.ok) {
      options.record(target.region, "success", attemptStartedAt);
      const events = relay(target, request.request_id, attempt, signal, {
        ...options,
        attemptStartedAt,
      });
      return { ok: true, origin: target, events };
    }
    stop.abort();
    // The caller stopped it (a cancel, the watchdog): not the region's failure, and nothing to retry.
    if (options.signal?.aborted) break;
    if (attempt.verdict === "next" || attempt.verdict === "next_after_error") {
      options.record(target.region, "failure", attemptStartedAt);
      if (attempt.verdict === "next_after_error") serverError = target.region;
      continue;
    }
    // Refused for the request's own reasons (a 4xx, or too big for its deadline there): healthy.
    const healthy =
      attempt.verdict.kind === "rejected" || attempt.verdict.kind === "deadline_exceeded";
    options.record(target.region, healthy ? "success" : "failure", attemptStartedAt);
    // A full queue there (429): nothing was queued, so the next region may take it.
    if (isOverloaded(attempt.verdict)) {
      busy = sooner(busy, attempt.verdict);
      continue;
    }
    return { ok: false, failure: attempt.verdict, attempts };
  }
  if (busy) return { ok: false, failure: busy, attempts };
  const failure: DispatchFailure = serverError
    ? { kind: "upstream_error", region: serverError }
    : { kind: "no_capacity" };
  return { ok: false, failure, attempts };
}

async function attemptStream(
  target: OriginTarget,
  call: { readonly path: string; readonly body: string },
  signal: AbortSignal,
  stop: AbortController,
  firstEventMs: number,
  options: Pick<OriginStreamOptions, "secret" | "traceparent" | "fetch">,
): Promise<Attempt> {
  const firstTimer = setTimeout(() => stop.abort(), firstEventMs);
  try {
    let response: Response;
    try {
      response = await postForEvents(target, call, signal, options);
    } catch {
      // Refused, reset or silent before any answer: nothing was admitted there.
      return { ok: false, verdict: "next" };
    }
    if (!response.ok) return { ok: false, verdict: await judgeRefusal(response, target.region) };
    const type = response.headers.get("content-type") ?? "";
    if (!response.body || !type.includes("text/event-stream")) {
      await response.body?.cancel();
      return { ok: false, verdict: { kind: "upstream_error", region: target.region } };
    }
    const reader = new SseEventReader(response.body);
    const first = await reader.next();
    if (first.kind === "event") return { ok: true, reader, first: first.event };
    // The origin died (or went silent) before its first event: safe to try the next one.
    reader.close();
    return { ok: false, verdict: "next_after_error" };
  } finally {
    clearTimeout(firstTimer);
  }
}

/** The signed POST that asks an origin for an event stream (generate, attach). */
async function postForEvents(
  target: OriginTarget,
  call: { readonly path: string; readonly body: string },
  signal: AbortSignal,
  options: Pick<OriginStreamOptions, "secret" | "traceparent" | "fetch">,
): Promise<Response> {
  const { path, body } = call;
  const signed = await signRequest(options.secret, { method: "POST", path, body });
  const fetcher: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  return fetcher(`${target.url}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "text/event-stream",
      traceparent: options.traceparent,
      ...signed,
    },
    body,
    signal,
  });
}

async function judgeRefusal(
  response: Response,
  region: string,
): Promise<DispatchFailure | "next" | "next_after_error"> {
  const json = await response.json().catch(() => null);
  if (response.status === 503) return "next";
  if (response.status === 504) {
    const error = readOriginError(json);
    // The origin's own judgement (final, not the region's failure), or a proxy's timeout in front
    // of it (final too: the work may be running behind it, but the region failed).
    if (answeredDeadline(response.status, error.code)) return { kind: "deadline_exceeded", region };
    return { kind: "upstream_error", region };
  }
  if (response.status >= 500) return "next_after_error";
  if (isRefusedSignature(response.status, readOriginError(json).code)) {
    logRefusedSignature(region);
    return "next_after_error";
  }
  return {
    kind: "rejected",
    region,
    status: response.status,
    error: readOriginError(json),
    retryAfterSeconds: retryAfterSeconds(response.headers.get("retry-after")),
  };
}

async function* relay(
  target: OriginTarget,
  requestId: string,
  attempt: Extract<Attempt, { ok: true }>,
  signal: AbortSignal,
  options: Pick<OriginStreamOptions, "record"> & { readonly attemptStartedAt: number },
): AsyncGenerator<StreamedEvent, void> {
  const { reader } = attempt;
  try {
    let read: ReadResult = attempt.first
      ? { kind: "event", event: attempt.first }
      : await reader.next();
    while (read.kind === "event") {
      yield read.event;
      if (isTerminalEvent(read.event)) return;
      read = await reader.next();
    }
    const stop = signal.reason instanceof StreamStop ? signal.reason.why : null;
    // Handed over: the run goes on at the origin, and the next reader attaches to it there.
    if (stop === "handover") return;
    if (stop !== "canceled") options.record(target.region, "failure", options.attemptStartedAt);
    yield lostStream(target, requestId, signal, read);
  } finally {
    reader.close();
  }
}

const isTerminalEvent = (event: GenerationEvent) =>
  event.event === "completed" || event.event === "failed" || event.event === "canceled";

/** The terminal event for a stream that ended without one: canceled on request, else failed with why. */
function lostStream(
  target: OriginTarget,
  requestId: string,
  signal: AbortSignal,
  read: ReadResult,
): StreamedEvent {
  const reason: unknown = signal.reason;
  if (reason instanceof StreamStop && reason.why === "canceled") {
    return { event: "canceled", data: { request_id: requestId } };
  }
  // AbortSignal.timeout's reason is a DOMException named TimeoutError.
  const timedOut =
    (reason instanceof StreamStop && reason.why === "deadline") ||
    (reason as { name?: unknown } | undefined)?.name === "TimeoutError";
  if (timedOut) {
    const message = `The generation did not finish within its deadline in region ${target.region}.`;
    return { event: "failed", data: { error: errorBody("deadline_exceeded", message).error } };
  }
  const how = read.kind === "end" ? "closed the stream" : "dropped the connection";
  const message = `Region ${target.region} ${how} after the generation started; nothing was charged.`;
  // `lost`: the stream broke, which says nothing of the run itself (a proxy may have cut it).
  return {
    event: "failed",
    data: { error: errorBody("upstream_error", message).error },
    lost: true,
  };
}

/** As for a stream; `budgetMs` is what is left of the generation's deadline. */
export type AttachOptions = Pick<
  OriginStreamOptions,
  "secret" | "traceparent" | "budgetMs" | "signal" | "record" | "fetch"
>;

/** How long an origin may take to answer an attach (its headers; events may come much later). */
const ATTACH_ANSWER_TIMEOUT_MS = 15_000;

/**
 * Picks up a detachable run (one sent with `detach_grace_ms`) at the origin that runs it: the events
 * after SSE id `after`, then the live ones, to the terminal event (or the next handover). `gone`:
 * the origin no longer has it (delivered, its grace ran out, or the origin restarted), or did not
 * answer; either way nothing more will come of that run.
 */
export async function openAttachStream(
  target: OriginTarget,
  requestId: string,
  after: number,
  options: AttachOptions,
): Promise<
  | { readonly ok: true; readonly events: AsyncGenerator<StreamedEvent, void> }
  | { readonly ok: false; readonly status: "gone" | "unreachable" }
> {
  if (!hasOriginSecret(options.secret)) return { ok: false, status: "unreachable" };
  const attemptStartedAt = Date.now();
  const stop = new AbortController();
  const signal = AbortSignal.any([
    stop.signal,
    AbortSignal.timeout(Math.max(0, options.budgetMs) + STREAM_GRACE_MS),
    ...(options.signal ? [options.signal] : []),
  ]);
  const body = JSON.stringify({ request_id: requestId, after, nonce: crypto.randomUUID() });
  const answerTimer = setTimeout(() => stop.abort(), ATTACH_ANSWER_TIMEOUT_MS);
  let response: Response;
  try {
    response = await postForEvents(target, { path: ATTACH_PATH, body }, signal, options);
  } catch {
    return { ok: false, status: "unreachable" };
  } finally {
    clearTimeout(answerTimer);
  }
  const type = response.headers.get("content-type") ?? "";
  if (!response.ok || !response.body || !type.includes("text/event-stream")) {
    await response.body?.cancel();
    return { ok: false, status: response.status === 404 ? "gone" : "unreachable" };
  }
  const attempt = { ok: true, reader: new SseEventReader(response.body), first: null } as const;
  const events = relay(target, requestId, attempt, signal, { ...options, attemptStartedAt });
  return { ok: true, events };
}
