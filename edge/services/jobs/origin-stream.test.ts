// openOriginStream: which failures move on before the first event, and how a stream that dies after it ends.
import { describe, expect, it } from "vitest";
import { errorBody } from "../../../protocol/errors";
import { formatSse, type GenerationEvent } from "../../../protocol/events";
import { ORIGIN_REQUEST, TWO_REGIONS } from "../../test/origin-request";
import type { FetchLike } from "../origins/origin-call";
import { openOriginStream, StreamStop } from "./origin-stream";

const REQUEST = { ...ORIGIN_REQUEST, preview_every: 1 };

const encoder = new TextEncoder();
const sse = (events: GenerationEvent[]) =>
  events
    .map((e, i) => formatSse({ id: i + 1, event: e.event, data: JSON.stringify(e.data) }))
    .join("");
const QUEUED: GenerationEvent = { event: "queued", data: { request_id: "gen_1", position: 1 } };
const PROGRESS: GenerationEvent = {
  event: "progress",
  data: { request_id: "gen_1", step: 1, steps: 2 },
};

/** A 200 event stream that sends `text` and then ends (cleanly, or by breaking the connection). */
function streamOf(text: string, end: "close" | "break" | "hang" = "close"): FetchLike {
  return (_url, init) => {
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        init.signal?.addEventListener("abort", () => controller.error(init.signal?.reason));
      },
      // The text first; the end only on the next read, as it would come off a socket.
      pull(controller) {
        if (!sent && text) {
          sent = true;
          controller.enqueue(encoder.encode(text));
        } else if (end === "close") controller.close();
        else if (end === "break") controller.error(new TypeError("connection reset"));
        else return new Promise<void>(() => {});
      },
    });
    return Promise.resolve(
      new Response(body, { headers: { "content-type": "text/event-stream" } }),
    );
  };
}
const refused: FetchLike = () => Promise.reject(new TypeError("connection refused"));
const status =
  (code: number, error: Parameters<typeof errorBody>[0]): FetchLike =>
  () =>
    Promise.resolve(Response.json(errorBody(error, "x"), { status: code }));
const hangs: FetchLike = (_url, init) =>
  new Promise((_, reject) =>
    init.signal?.addEventListener("abort", () => reject(init.signal?.reason)),
  );

function open(byRegion: Record<string, FetchLike>, options: { signal?: AbortSignal } = {}) {
  const tried: string[] = [];
  const verdicts: string[] = [];
  const fetch: FetchLike = (url, init) => {
    const region = new URL(url).host.split(".")[0] ?? "";
    tried.push(region);
    const answer = byRegion[region];
    if (!answer) throw new Error(`unexpected ${region}`);
    return answer(url, init);
  };
  const result = openOriginStream(TWO_REGIONS, REQUEST, {
    secret: "s",
    traceparent: "00-x-y-01",
    budgetMs: 60_000,
    record: (region, verdict) => verdicts.push(`${region}:${verdict}`),
    fetch,
    firstEventTimeoutMs: 50,
    ...options,
  });
  return { result, tried, verdicts };
}

async function drain(events: AsyncGenerator<GenerationEvent, void>) {
  const seen: GenerationEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** A proxy in front of the origin timing out: an HTML 504, not the origin's envelope. */
const proxy504 = () =>
  Promise.resolve(new Response("<html>504 Gateway Time-out</html>", { status: 504 }));

describe("openOriginStream before the first event", () => {
  it.each([
    ["refused", refused],
    ["503", status(503, "not_ready")],
    ["500", status(500, "internal_error")],
    ["a stream that closes before any event", streamOf("")],
    ["a stream that breaks before any event", streamOf(": hello\n\n", "break")],
    ["silence past the first-event timeout", hangs],
    ["a refused signature (its secret is not the edge's)", status(401, "invalid_signature")],
  ])("moves on to the next origin after %s", async (_label, us) => {
    const { result, tried, verdicts } = open({ us, eu: streamOf(sse([QUEUED])) });
    const opened = await result;
    expect(opened.ok && opened.origin.region).toBe("eu");
    expect(tried).toEqual(["us", "eu"]);
    expect(verdicts).toEqual(["us:failure", "eu:success"]);
  });

  it("records no failure and tries no other region when the caller cancels before the first event", async () => {
    const caller = new AbortController();
    const { result, tried, verdicts } = open({ us: hangs, eu: hangs }, { signal: caller.signal });
    setTimeout(() => caller.abort(new StreamStop("canceled")), 10);
    const opened = await result;
    expect(opened.ok).toBe(false);
    expect(tried).toEqual(["us"]);
    expect(verdicts).toEqual([]);
  });

  it("gives a hung first origin only its first-byte budget, so the next one fits a fast deadline", async () => {
    // No explicit first-event timeout: derived from the candidates' predictions (about 1 s here),
    // where the 15 s ceiling alone would have spent the whole 5 s fast-tier deadline on `us`.
    const predicted = TWO_REGIONS.map((c) => ({ ...c, predictedMs: 10 }));
    const tried: string[] = [];
    const byRegion: Record<string, FetchLike> = { us: hangs, eu: streamOf(sse([QUEUED])) };
    const opened = await openOriginStream(predicted, REQUEST, {
      secret: "s",
      traceparent: "00-x-y-01",
      budgetMs: 5_000,
      record: () => {},
      fetch: (url, init) => {
        const region = new URL(url).host.split(".")[0] ?? "";
        tried.push(region);
        return (byRegion[region] as FetchLike)(url, init);
      },
    });
    expect(opened.ok && opened.origin.region).toBe("eu");
    expect(tried).toEqual(["us", "eu"]);
  });

  it.each([
    ["a 400", status(400, "invalid_request"), "rejected"],
    ["a 504", status(504, "deadline_exceeded"), "deadline_exceeded"],
    ["a JSON 200", () => Promise.resolve(Response.json({})), "upstream_error"],
  ])("stops at %s", async (_label, us, kind) => {
    const { result, tried } = open({ us });
    const opened = await result;
    expect(opened.ok ? null : opened.failure.kind).toBe(kind);
    expect(tried).toEqual(["us"]);
  });

  it("moves on from a full queue (429, nothing queued there), and ends with it when every region is full", async () => {
    const served = open({ us: status(429, "overloaded"), eu: streamOf(sse([QUEUED])) });
    const opened = await served.result;
    expect(opened.ok && opened.origin.region).toBe("eu");
    expect(served.tried).toEqual(["us", "eu"]);
    // Full is not failing: the region's breaker must not open under load.
    expect(served.verdicts).toEqual(["us:success", "eu:success"]);
    const full = open({ us: status(429, "overloaded"), eu: status(429, "overloaded") });
    const refused = await full.result;
    expect(refused.ok ? null : refused.failure).toMatchObject({ kind: "rejected", status: 429 });
    expect(full.tried).toEqual(["us", "eu"]);
  });

  it.each([
    ["a 400", status(400, "invalid_request"), "success"],
    [
      "the origin's 504: too big for the deadline there",
      status(504, "deadline_exceeded"),
      "success",
    ],
    ["a proxy's 504", proxy504, "failure"],
    ["a JSON 200", () => Promise.resolve(Response.json({})), "failure"],
  ])("counts %s as the region's failure or success, as it should", async (_label, us, verdict) => {
    const { result, verdicts } = open({ us });
    await result;
    expect(verdicts).toEqual([`us:${verdict}`]);
  });

  it("says no_capacity when every origin was unreachable, upstream_error when one failed with a 5xx", async () => {
    const down = await open({ us: refused, eu: status(503, "not_ready") }).result;
    expect(down.ok ? null : down.failure).toEqual({ kind: "no_capacity" });
    const broken = await open({ us: status(502, "upstream_error"), eu: refused }).result;
    expect(broken.ok ? null : broken.failure).toEqual({ kind: "upstream_error", region: "us" });
  });
});

describe("openOriginStream after the first event", () => {
  it("relays every event up to the terminal one and stops there", async () => {
    const done: GenerationEvent = { event: "canceled", data: { request_id: "gen_1" } };
    const opened = await open({ us: streamOf(sse([QUEUED, PROGRESS, done, PROGRESS])) }).result;
    if (!opened.ok) throw new Error("did not open");
    expect((await drain(opened.events)).map((e) => e.event)).toEqual([
      "queued",
      "progress",
      "canceled",
    ]);
  });

  it.each([
    ["closes", "close"],
    ["breaks", "break"],
  ] as const)(
    "ends with failed and a reason when the origin %s mid-run, never moving on",
    async (_l, end) => {
      const { result, tried, verdicts } = open({ us: streamOf(sse([QUEUED, PROGRESS]), end) });
      const opened = await result;
      if (!opened.ok) throw new Error("did not open");
      const events = await drain(opened.events);
      expect(events.map((e) => e.event)).toEqual(["queued", "progress", "failed"]);
      const failed = events[2] as Extract<GenerationEvent, { event: "failed" }>;
      expect(failed.data.error.code).toBe("upstream_error");
      expect(failed.data.error.message).toMatch(/[Rr]egion us/);
      expect(tried).toEqual(["us"]);
      expect(verdicts).toEqual(["us:success", "us:failure"]);
    },
  );

  it("ends with canceled when the caller stops it for a cancel", async () => {
    const stop = new AbortController();
    const opened = await open({ us: streamOf(sse([QUEUED]), "hang") }, { signal: stop.signal })
      .result;
    if (!opened.ok) throw new Error("did not open");
    const first = await opened.events.next();
    expect(first.value).toEqual({ ...QUEUED, id: 1 });
    stop.abort(new StreamStop("canceled"));
    const rest = await drain(opened.events);
    expect(rest).toEqual([{ event: "canceled", data: { request_id: "gen_1" } }]);
  });
});
