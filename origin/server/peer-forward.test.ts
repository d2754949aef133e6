// Two origin pods of one region: a cancel or attach that lands on the pod without the run is passed on to the one with it.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBodySchema } from "../../protocol/errors";
import { parseGenerationEvent, parseSse } from "../../protocol/events";
import {
  loadTinyPipeline,
  longGuidedRequest,
  readyOriginApp,
} from "../../test/support/origin-fixtures";
import { signedInit } from "../../test/support/signed-request";
import type { DiffusionPipeline } from "../engine/pipeline";
import { ContinuousBatcher } from "../scheduler/continuous-batcher";
import { type PeerEntry, PeerForwarder, parsePeers } from "./peer-forward";

let pipeline: DiffusionPipeline;
const servers: ReturnType<typeof serve>[] = [];

/** One pod on an ephemeral loopback port; `peers` may be filled in after it starts. */
async function pod(peers: PeerEntry[]) {
  const app = readyOriginApp(pipeline, new ContinuousBatcher(pipeline), undefined, {
    peers: new PeerForwarder(peers, 0),
  });
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    entry: { kind: "address", host: "127.0.0.1", port } as const,
  };
}

let a: Awaited<ReturnType<typeof pod>>;
let b: Awaited<ReturnType<typeof pod>>;

beforeAll(async () => {
  pipeline = await loadTinyPipeline();
  const peersOfA: PeerEntry[] = [];
  a = await pod(peersOfA);
  b = await pod([a.entry]);
  peersOfA.push(b.entry); // each the other's peer: a forwarded call must not come back
});

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
});

async function post(base: string, path: string, body: unknown, accept = "application/json") {
  const init = await signedInit(path, JSON.stringify(body));
  return fetch(`${base}${path}`, { ...init, headers: { ...(init.headers as object), accept } });
}

/** The events of an SSE response as they come, until `stop` says so (then it hangs up). */
async function events(
  res: Response,
  stop: (e: { id: number; event: string; step?: number }) => boolean = () => false,
) {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const seen: { id: number; event: string; step?: number }[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    buffer += value;
    const parsed = parseSse(buffer);
    buffer = parsed.rest;
    for (const m of parsed.messages) {
      const e = parseGenerationEvent(m);
      const step = e?.event === "progress" ? e.data.step : undefined;
      seen.push({ id: m.id, event: m.event, ...(step ? { step } : {}) });
      if (stop(seen.at(-1)!)) {
        await reader.cancel();
        return seen;
      }
    }
  }
}

const longRun = () => longGuidedRequest({ detach_grace_ms: 30_000 });

describe("a region of two pods", () => {
  it("passes an attach that landed on the other pod to the one running the run", async () => {
    const req = longRun();
    const first = await events(
      await post(a.url, "/internal/v1/generate", req, "text/event-stream"),
      (e) => e.step === 2,
    );
    const after = first.at(-1)!.id;
    const res = await post(
      b.url,
      "/internal/v1/attach",
      { request_id: req.request_id, after },
      "text/event-stream",
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const rest = await events(res);
    expect(rest[0]?.id).toBe(after + 1);
    expect(rest.at(-1)?.event).toBe("completed");
    const steps = [...first, ...rest].flatMap((e) => (e.step ? [e.step] : []));
    expect(steps).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("passes a cancel that landed on the other pod to the one running the job", async () => {
    const req = longRun();
    const res = await post(a.url, "/internal/v1/generate", req, "text/event-stream");
    let cancel: Promise<Response> | null = null;
    const seen = await events(res, (e) => {
      if (e.step === 2) cancel = post(b.url, "/internal/v1/cancel", { request_id: req.request_id });
      return false;
    });
    expect(seen.at(-1)?.event).toBe("canceled");
    expect(seen.filter((e) => e.step).length).toBeLessThan(50);
    const answer = (await cancel) as Response | null;
    expect(answer?.status).toBe(200);
    expect(await answer?.json()).toEqual({ request_id: req.request_id, canceled: true });
  });

  it("answers 404 once no pod has it, without passing it around", async () => {
    const res = await post(a.url, "/internal/v1/attach", { request_id: "nobody-has-it", after: 0 });
    expect(res.status).toBe(404);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe("not_found");
    const cancel = await post(b.url, "/internal/v1/cancel", { request_id: "nobody-has-it" });
    expect(cancel.status).toBe(404);
  });
});

describe("a peer that does not answer", () => {
  it("makes an unknown run a retryable 503, never a final 404: the run may be there", async () => {
    // A port with nothing listening: the peer is down, or its pod is restarting.
    const closed = await pod([]);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const c = await pod([a.entry, closed.entry]);
    const bodies = {
      "/internal/v1/attach": { request_id: "nobody-has-it", after: 0 },
      "/internal/v1/cancel": { request_id: "nobody-has-it" },
    };
    for (const [path, body] of Object.entries(bodies)) {
      const res = await post(c.url, path, body);
      expect(res.status, path).toBe(503);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(ErrorBodySchema.parse(await res.json()).error.code).toBe("not_ready");
    }
  });
});

describe("DARKROOM_PEERS", () => {
  it("reads host:port and dns:name:port entries, and names a bad one", () => {
    expect(parsePeers(["10.0.0.7:8801", "dns:darkroom-origin-peers:8801"])).toEqual([
      { kind: "address", host: "10.0.0.7", port: 8801 },
      { kind: "dns", name: "darkroom-origin-peers", port: 8801 },
    ]);
    expect(() => parsePeers(["darkroom-origin-peers"])).toThrow(/darkroom-origin-peers/);
    expect(() => parsePeers(["dns:x:99999"])).toThrow(/dns:x:99999/);
  });
});
