// An origin stream that survives hand-backs: an origin draining before the work started there moves it on.
import type { OriginTarget } from "../origins/origin-config";
import type { OriginRequest } from "../origins/origin-dispatch";
import type { RouteCandidate } from "../regions/region-router";
import { failureAsJobError } from "./job-errors";
import {
  type OriginStream,
  type OriginStreamOptions,
  openOriginStream,
  StreamStop,
} from "./origin-stream";
import type { StreamedEvent } from "./sse-event-reader";

export interface HandoffOptions extends OriginStreamOptions {
  /** Each origin that takes the work, the first one included: where a cancel must go from then on. */
  readonly onOrigin?: (origin: OriginTarget) => void;
}

type Opened = Extract<OriginStream, { ok: true }>;

/**
 * `openOriginStream`, and then: an origin that answers `failed` with `not_ready` before it reported
 * `started` or a step has handed the work back (it drained while the work was queued there; nothing
 * ran). The next region that has not had it takes it, within what is left of the budget, and its
 * events continue the same stream. Work that had started is never sent to a second region.
 */
export async function openHandoffStream(
  candidates: readonly RouteCandidate[],
  request: OriginRequest & { preview_every: number },
  options: HandoffOptions,
): Promise<OriginStream> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const opened = await openOriginStream(candidates, request, options);
  if (!opened.ok) return opened;
  options.onOrigin?.(opened.origin);
  return { ...opened, events: acrossHandoffs(opened, candidates, request, options, startedAt) };
}

async function* acrossHandoffs(
  first: Opened,
  candidates: readonly RouteCandidate[],
  request: OriginRequest & { preview_every: number },
  options: HandoffOptions,
  startedAt: number,
): AsyncGenerator<StreamedEvent, void> {
  const now = options.now ?? Date.now;
  const tried = new Set<string>();
  let current = first;
  for (;;) {
    tried.add(current.origin.region);
    if (!(yield* untilHandedBack(current.events))) return;
    const rest = candidates.filter((c) => !tried.has(c.region));
    const budgetMs = options.budgetMs - (now() - startedAt);
    const next = await openOriginStream(rest, request, { ...options, budgetMs });
    if (!next.ok) {
      const reason: unknown = options.signal?.reason;
      // Handed over while looking for the next region: no terminal event, and the next stretch
      // attaches to the origin that handed it back, finds that again and moves it on.
      if (reason instanceof StreamStop && reason.why === "handover") return;
      if (reason instanceof StreamStop && reason.why === "canceled") {
        yield { event: "canceled", data: { request_id: request.request_id } };
      } else {
        const error = failureAsJobError(next.failure, request.request_id);
        yield { event: "failed", data: { error } };
      }
      return;
    }
    options.onOrigin?.(next.origin);
    current = next;
  }
}

/**
 * Relays one origin's events; true (the hand-back itself not relayed) when it handed the work back.
 * `running`: the work had already started there (a stream attached to mid-run), so it cannot be.
 */
export async function* untilHandedBack(
  events: AsyncGenerator<StreamedEvent, void>,
  running = false,
): AsyncGenerator<StreamedEvent, boolean> {
  for await (const event of events) {
    // An origin that skips `started` has started all the same once it reports a step.
    if (event.event === "started" || event.event === "progress") running = true;
    if (!running && event.event === "failed" && event.data.error.code === "not_ready") return true;
    yield event;
  }
  return false;
}
