// One async job timed end to end: POST /v1/images/jobs, then its SSE stream until the terminal event.
import { parseSse } from "../../protocol/events";

export interface StreamJobRequest {
  edgeUrl: string;
  apiKey: string;
  body: Record<string, unknown>;
  timeoutMs: number;
}

export interface StreamJobSample {
  /** Submit → 202 received. */
  acceptedMs: number;
  /** Submit → first `progress` event carrying a preview; null when none came. */
  ttfpMs: number | null;
  /** Submit → the `completed` event; null when the job ended otherwise. */
  finalMs: number | null;
  terminal: "completed" | "failed" | "canceled" | null;
  progressEvents: number;
  previews: number;
  /** Why the job did not complete, when it did not. */
  problem: string | null;
}

const elapsed = (t0: number) => performance.now() - t0;

async function submit(req: StreamJobRequest, signal: AbortSignal): Promise<string> {
  const response = await fetch(`${req.edgeUrl}/v1/images/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${req.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(req.body),
    signal,
  });
  const text = await response.text();
  if (response.status !== 202) {
    throw new Error(`POST /v1/images/jobs answered ${response.status}: ${text.slice(0, 300)}`);
  }
  const id = (JSON.parse(text) as { id?: unknown }).id;
  if (typeof id !== "string") throw new Error(`202 without a job id: ${text.slice(0, 300)}`);
  return id;
}

/** Reads the event stream from its start (no Last-Event-ID), so events before connecting count. */
export async function timeStreamJob(req: StreamJobRequest): Promise<StreamJobSample> {
  const signal = AbortSignal.timeout(req.timeoutMs);
  const t0 = performance.now();
  const sample: StreamJobSample = {
    acceptedMs: 0,
    ttfpMs: null,
    finalMs: null,
    terminal: null,
    progressEvents: 0,
    previews: 0,
    problem: null,
  };
  try {
    const id = await submit(req, signal);
    sample.acceptedMs = elapsed(t0);
    const response = await fetch(`${req.edgeUrl}/v1/images/jobs/${id}/events`, {
      headers: { authorization: `Bearer ${req.apiKey}`, accept: "text/event-stream" },
      signal,
    });
    if (response.status !== 200 || !response.body) {
      throw new Error(
        `GET …/events answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
      );
    }
    await readUntilTerminal(response.body, t0, sample);
    if (sample.terminal === null) sample.problem = "stream ended without a terminal event";
  } catch (error) {
    sample.problem =
      (error as Error).name === "TimeoutError" ? "timed out" : (error as Error).message;
  }
  return sample;
}

async function readUntilTerminal(
  body: ReadableStream<Uint8Array>,
  t0: number,
  sample: StreamJobSample,
): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const { messages, rest } = parseSse(buffered + value);
      buffered = rest;
      for (const message of messages) {
        if (message.event === "progress") {
          sample.progressEvents++;
          const data = JSON.parse(message.data) as { preview?: unknown };
          if (data.preview) {
            sample.previews++;
            sample.ttfpMs ??= elapsed(t0);
          }
        } else if (
          message.event === "completed" ||
          message.event === "failed" ||
          message.event === "canceled"
        ) {
          sample.terminal = message.event;
          if (message.event === "completed") sample.finalMs = elapsed(t0);
          else sample.problem = `${message.event}: ${message.data.slice(0, 300)}`;
          return;
        }
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
