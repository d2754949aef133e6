// A job's event stream stays alive through silence: keepalive comments while nothing happens, gone at the end.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseSse } from "../../protocol/events";
import type { Bindings } from "../env";
import type { GenerationJob } from "../services/jobs/generation-job-do";
import { installStreamingOrigin, stream } from "../test/fake-origin-stream";
import { tenantWithKey } from "../test/generation";
import { call } from "../test/harness";
import {
  cancelJob,
  createJob,
  keepalivesIn,
  messagesAreWhole,
  reachedStep,
  readEvents,
  readTextUntil,
  textReader,
} from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

describe("GET /v1/images/jobs/{id}/events on a job with nothing to report", () => {
  it("sends keepalive comments while the job is silent, the same events, and closes at its end", async () => {
    installStreamingOrigin({ us: stream({ holdAt: 1 }) });
    const { key } = await tenantWithKey();
    const { body } = await createJob(key, { prompt: "a fox", steps: 8 });
    await reachedStep(key, body.id, 1);
    // The heartbeat comes from the job's object (it made the stream): its interval is set there.
    await runInDurableObject(env.JOBS.get(env.JOBS.idFromName(body.id)), (job: GenerationJob) => {
      const self = job as unknown as { env: Bindings };
      self.env = { ...self.env, SSE_HEARTBEAT_MS: "20" };
    });

    const res = await call(`/v1/images/jobs/${body.id}/events`, { token: key });
    expect(res.status).toBe(200);
    const reader = textReader(res.body);
    // Held at step 1, the job sends nothing more: only the heartbeat keeps coming.
    const silent = await readTextUntil(reader, (text) => keepalivesIn(text) >= 3);
    expect(silent.ended).toBe(false);
    await cancelJob(key, body.id);
    const rest = await readTextUntil(reader);
    expect(rest.ended).toBe(true);

    const text = silent.text + rest.text;
    expect(messagesAreWhole(text)).toBe(true);
    const live = parseSse(text).messages.map((m) => ({ ...m, data: JSON.parse(m.data) }));
    expect(live.map((e) => e.event)).toEqual(["queued", "started", "progress", "canceled"]);
    // The events are the job's log exactly as a reader after the end gets it.
    expect(live).toEqual((await readEvents(key, body.id)).events);
  });
});
