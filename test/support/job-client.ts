// A client's view of async jobs through the edge: create one, follow its events as they arrive, read it back.
import { parseSse } from "../../protocol/events";

/** The fast tier at its cheapest: done within its first-event budget on any healthy region. */
export const FAST_JOB = {
  prompt: "a lighthouse on a cliff at dusk",
  size: "256x256",
  tier: "fast",
  steps: 1,
  n: 1,
} as const;

/** The batch tier at its most steps and 512x512: still denoising long after its first progress event. */
export const LONG_JOB = {
  prompt: "a fox in the snow",
  size: "512x512",
  tier: "batch",
  steps: 50,
  n: 1,
} as const;

export interface JobEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

export interface JobView {
  id: string;
  status: string;
  region: string | null;
  steps: number;
  progress: { step: number; steps: number } | null;
  data: { id: string; url: string }[] | null;
  error: { code: string; message: string } | null;
}

export interface FollowedJob {
  events: JobEvent[];
  /** closed: the edge ended the stream; dropped: the connection broke; timed_out: the client gave up. */
  end: "closed" | "dropped" | "timed_out";
}

const TERMINAL = new Set(["completed", "failed", "canceled"]);

export const terminalEvents = (events: readonly JobEvent[]) =>
  events.filter((e) => TERMINAL.has(e.event));

export const progressSteps = (events: readonly JobEvent[]) =>
  events.filter((e) => e.event === "progress").map((e) => e.data.step as number);

/** The region the `started` event names, or null when there was none. */
export const startedRegion = (events: readonly JobEvent[]) =>
  (events.find((e) => e.event === "started")?.data.region as string | undefined) ?? null;

/**
 * How the stream broke its contract, if it did: it must close, ids ascend, exactly one terminal
 * event ends it, progress steps strictly increase. Empty when it kept it.
 */
export function streamContractBreaches({ events, end }: FollowedJob): string[] {
  const breaches: string[] = [];
  const names = events.map((e) => e.event).join(",");
  if (end !== "closed") breaches.push(`the stream ${end} after ${names}`);
  const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
  if (!ascending(events.map((e) => e.id))) breaches.push(`ids out of order: ${names}`);
  const terminals = terminalEvents(events);
  if (terminals.length !== 1) breaches.push(`${terminals.length} terminal events: ${names}`);
  else if (terminals[0] !== events.at(-1)) breaches.push(`events after the terminal one: ${names}`);
  const steps = progressSteps(events);
  if (!ascending(steps)) breaches.push(`steps not increasing: ${steps.join(",")}`);
  return breaches;
}

const authorized = (key: string) => ({
  authorization: `Bearer ${key}`,
  "content-type": "application/json",
});

/** POST /v1/images/jobs; throws unless the job was accepted (202). */
export async function createJob(
  edgeUrl: string,
  key: string,
  body: Record<string, unknown>,
): Promise<JobView> {
  const response = await fetch(`${edgeUrl}/v1/images/jobs`, {
    method: "POST",
    headers: authorized(key),
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const json = await response.json().catch(() => null);
  if (response.status !== 202) {
    throw new Error(`POST /v1/images/jobs answered ${response.status}: ${JSON.stringify(json)}`);
  }
  return json as JobView;
}

export async function getJob(edgeUrl: string, key: string, id: string): Promise<JobView> {
  const response = await fetch(`${edgeUrl}/v1/images/jobs/${id}`, {
    headers: authorized(key),
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status !== 200) throw new Error(`GET job ${id} answered ${response.status}`);
  return (await response.json()) as JobView;
}

/**
 * Reads the job's event stream as it arrives until the edge closes it (it does after the terminal
 * event), the connection breaks, or `timeoutMs` passes; `onEvent` may act mid-stream (kill an origin).
 */
export async function followJob(
  edgeUrl: string,
  key: string,
  id: string,
  onEvent: (event: JobEvent) => Promise<void> | void = () => {},
  timeoutMs = 60_000,
): Promise<FollowedJob> {
  const signal = AbortSignal.timeout(timeoutMs);
  const response = await fetch(`${edgeUrl}/v1/images/jobs/${id}/events`, {
    headers: authorized(key),
    signal,
  });
  if (response.status !== 200 || !response.body) {
    throw new Error(`GET job ${id}'s events answered ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: JobEvent[] = [];
  let buffer = "";
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch {
      return { events, end: signal.aborted ? "timed_out" : "dropped" };
    }
    if (chunk.done) return { events, end: "closed" };
    buffer += chunk.value;
    const { messages, rest } = parseSse(buffer);
    buffer = rest;
    for (const m of messages) {
      const event: JobEvent = { id: m.id, event: m.event, data: JSON.parse(m.data) };
      events.push(event);
      await onEvent(event);
    }
  }
}

/** Creates the job and follows its events to the end. */
export async function runJob(
  edgeUrl: string,
  key: string,
  body: Record<string, unknown>,
): Promise<{ id: string; followed: FollowedJob }> {
  const { id } = await createJob(edgeUrl, key, body);
  return { id, followed: await followJob(edgeUrl, key, id) };
}
