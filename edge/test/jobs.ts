// Test helpers for async jobs and streams: create a job, read its events, stream a generation, read raw SSE text.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { parseSse, type SseMessage } from "../../protocol/events";
import worker from "../index";
import { FAKE_ORIGIN_BINDINGS } from "./fake-origin";
import { type CallOptions, call, callJson } from "./harness";

export interface JobBody {
  id: string;
  object: string;
  status: string;
  data: { id: string; url: string; seed: number; sha256: string; format: string }[] | null;
  error: { code: string; message: string } | null;
  urls: { self: string; events: string; cancel: string };
  last_event_id: number;
  progress: { step: number; steps: number } | null;
  webhook: { url: string; deliveries: { status: string; attempts: unknown[] }[] } | null;
  [key: string]: unknown;
}

export function createJob(key: string, json: unknown, options: CallOptions = {}) {
  return callJson<JobBody>("/v1/images/jobs", { token: key, json, ...options });
}

export const getJob = (key: string, id: string) =>
  callJson<JobBody>(`/v1/images/jobs/${id}`, { token: key });

export const cancelJob = (key: string, id: string) =>
  callJson<JobBody>(`/v1/images/jobs/${id}/cancel`, { token: key, method: "POST" });

export interface ParsedEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

const parsed = (messages: SseMessage[]): ParsedEvent[] =>
  messages.map((m) => ({ id: m.id, event: m.event, data: JSON.parse(m.data) }));

/** Reads the job's events until the stream closes (it does after the terminal event). */
export async function readEvents(
  key: string,
  id: string,
  lastEventId?: number,
): Promise<{ status: number; events: ParsedEvent[]; contentType: string | null }> {
  const headers: Record<string, string> = {};
  if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
  const res = await call(`/v1/images/jobs/${id}/events`, { token: key, headers });
  const text = await res.text();
  const events = res.status === 200 ? parsed(parseSse(text).messages) : [];
  return { status: res.status, events, contentType: res.headers.get("content-type") };
}

/** Reads events as they come until one satisfies `until` (inclusive), then hangs up. */
export async function readUntil(
  key: string,
  id: string,
  until: (event: ParsedEvent) => boolean,
): Promise<ParsedEvent[]> {
  const res = await call(`/v1/images/jobs/${id}/events`, { token: key });
  const reader = (res.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  const events: ParsedEvent[] = [];
  while (!events.some(until)) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`stream ended first: ${JSON.stringify(events)}`);
    buffer += chunk.value;
    const { messages, rest } = parseSse(buffer);
    buffer = rest;
    events.push(...parsed(messages));
  }
  await reader.cancel();
  return events.slice(0, events.findIndex(until) + 1);
}

/** Waits until the job's origin has reported `step`. */
export const reachedStep = (key: string, id: string, step: number) =>
  readUntil(key, id, (e) => e.event === "progress" && e.data.step === step);

/** Reads events as they come and stops after `count` of them (the stream stays open server-side). */
export async function readFirstEvents(key: string, id: string, count: number) {
  const res = await call(`/v1/images/jobs/${id}/events`, { token: key });
  const reader = (res.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  const events: ParsedEvent[] = [];
  while (events.length < count) {
    const chunk = await reader.read();
    if (chunk.done) break;
    buffer += chunk.value;
    const { messages, rest } = parseSse(buffer);
    buffer = rest;
    events.push(...parsed(messages));
  }
  await reader.cancel();
  return events.slice(0, count);
}

/**
 * POST /v1/images/generations with stream: true through the fake origin. The body is read before
 * the request's waitUntil work is awaited: that work (settlement) ends only when the stream does.
 */
export async function streamGenerate(key: string, json: Record<string, unknown>) {
  const request = new Request("https://edge.test/v1/images/generations", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ stream: true, ...json }),
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...FAKE_ORIGIN_BINDINGS }, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, text, messages: parseSse(text).messages };
}

/** An event stream's body as text, read chunk by chunk. */
export const textReader = (body: ReadableStream<Uint8Array> | null) =>
  (body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();

/** Reads until `until` holds for all the text so far (the stream stays open), or to the end. */
export async function readTextUntil(
  reader: ReadableStreamDefaultReader<string>,
  until: (text: string) => boolean = () => false,
): Promise<{ text: string; ended: boolean }> {
  let text = "";
  while (!until(text)) {
    const chunk = await reader.read();
    if (chunk.done) return { text, ended: true };
    text += chunk.value;
  }
  return { text, ended: false };
}

/** How many keepalive comments (the edge's SSE heartbeat) the text holds. */
export const keepalivesIn = (text: string) => text.split(": keepalive\n\n").length - 1;

/** Every message of an SSE text is either a comment alone or an event with no comment inside it. */
export function messagesAreWhole(text: string): boolean {
  return text
    .split("\n\n")
    .slice(0, -1)
    .every((block) =>
      block.startsWith(":") ? /^: (stream open|keepalive)$/.test(block) : !/^:/m.test(block),
    );
}
