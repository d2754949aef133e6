// OriginDispatcher: which failures move on to the next region, which are final, verdicts, and the shared deadline.
import { describe, expect, it } from "vitest";
import { errorBody } from "../../../protocol/errors";
import { ORIGIN_REQUEST, TWO_REGIONS } from "../../test/origin-request";
import type { AttemptVerdict } from "../regions/region-router";
import type { FetchLike } from "./origin-call";
import { OriginDispatcher } from "./origin-dispatch";

const error = (status: number, code: Parameters<typeof errorBody>[0]) => () =>
  Promise.resolve(Response.json(errorBody(code, "x"), { status }));
const refused = () => Promise.reject(new TypeError("connection refused"));
/** Never answers; rejects only when the attempt's signal fires, like a real hung connection. */
const hang: FetchLike = (_url, init) =>
  new Promise((_, reject) => {
    init.signal?.addEventListener("abort", () => reject(init.signal?.reason));
  });

function dispatcher(byHost: Record<string, FetchLike>) {
  const seen: string[] = [];
  const verdicts: [string, AttemptVerdict][] = [];
  const fetch: FetchLike = (url, init) => {
    const host = new URL(url).host;
    seen.push(host.split(".")[0] ?? host);
    const answer = byHost[host];
    if (!answer) throw new Error(`unexpected ${host}`);
    return answer(url, init);
  };
  const record = (region: string, verdict: AttemptVerdict) => verdicts.push([region, verdict]);
  return { seen, verdicts, origins: new OriginDispatcher({ secret: "s", fetch, record }) };
}

/** A proxy in front of the origin timing out: an HTML 504, not the origin's envelope. */
const proxy504 = () =>
  Promise.resolve(new Response("<html>504 Gateway Time-out</html>", { status: 504 }));

describe("OriginDispatcher", () => {
  it.each([
    ["both refused", { "us.test": refused, "eu.test": refused }, "no_capacity", ["us", "eu"]],
    [
      "503 then refused",
      { "us.test": error(503, "not_ready"), "eu.test": refused },
      "no_capacity",
      ["us", "eu"],
    ],
    [
      "500 then 503",
      { "us.test": error(500, "internal_error"), "eu.test": error(503, "not_ready") },
      "upstream_error",
      ["us", "eu"],
    ],
    ["a 504 is final", { "us.test": error(504, "deadline_exceeded") }, "deadline_exceeded", ["us"]],
    ["a proxy's 504 is final", { "us.test": proxy504 }, "deadline_exceeded", ["us"]],
    [
      "a full queue (429) moves on, and both full is the 429",
      { "us.test": error(429, "overloaded"), "eu.test": error(429, "overloaded") },
      "rejected",
      ["us", "eu"],
    ],
    [
      "a full queue, then a 500: the 429 (it says when to come back)",
      { "us.test": error(429, "overloaded"), "eu.test": error(500, "internal_error") },
      "rejected",
      ["us", "eu"],
    ],
    ["a 400 is final", { "us.test": error(400, "invalid_request") }, "rejected", ["us"]],
    [
      "a refused signature, then refused",
      { "us.test": error(401, "invalid_signature"), "eu.test": refused },
      "upstream_error",
      ["us", "eu"],
    ],
    [
      "an unreadable 200 is final",
      { "us.test": () => Promise.resolve(new Response("<html>")) },
      "upstream_error",
      ["us"],
    ],
  ])("%s", async (_label, byHost, kind, regions) => {
    const { seen, origins } = dispatcher(byHost as Record<string, FetchLike>);
    const result = await origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.kind).toBe(kind);
    expect(seen).toEqual(regions);
  });

  it("serves from the next region when the first one's queue is full, and tells the shortest wait when all are", async () => {
    const full = (seconds: number) => () =>
      Promise.resolve(
        Response.json(errorBody("overloaded", "queue full"), {
          status: 429,
          headers: { "retry-after": String(seconds) },
        }),
      );
    const answered = () => Promise.resolve(Response.json(served()));
    const firstFull = dispatcher({ "us.test": full(5), "eu.test": answered });
    const ok = await firstFull.origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(ok).toMatchObject({ ok: true, region: "eu", attempts: 2 });
    // A full queue is not the region's failure: its breaker must not open under load.
    expect(firstFull.verdicts).toEqual([
      ["us", "success"],
      ["eu", "success"],
    ]);
    const allFull = dispatcher({ "us.test": full(9), "eu.test": full(3) });
    const refused = await allFull.origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(refused).toMatchObject({
      ok: false,
      failure: { kind: "rejected", status: 429, region: "eu", retryAfterSeconds: 3 },
    });
  });

  it.each([
    ["a 400", error(400, "invalid_request"), "success"],
    ["a 429", error(429, "overloaded"), "success"],
    [
      "the origin's 504: too big for the deadline there",
      error(504, "deadline_exceeded"),
      "success",
    ],
    ["a proxy's 504", proxy504, "failure"],
    ["a 503", error(503, "not_ready"), "failure"],
    ["a 500", error(500, "internal_error"), "failure"],
    ["a refused signature (its secret is not ours)", error(401, "invalid_signature"), "failure"],
  ])(
    "counts %s as the region's failure or success, as it should",
    async (_label, answer, verdict) => {
      const { verdicts, origins } = dispatcher({ "us.test": answer, "eu.test": refused });
      await origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
      expect(verdicts[0]).toEqual(["us", verdict]);
    },
  );

  it("sends nothing and answers no_capacity when the edge has no secret to sign with", async () => {
    const seen: string[] = [];
    const origins = new OriginDispatcher({
      secret: "",
      fetch: (url) => {
        seen.push(url);
        return refused();
      },
    });
    const result = await origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(result).toEqual({ ok: false, failure: { kind: "no_capacity" }, attempts: 0 });
    expect(seen).toEqual([]);
  });

  it("fails over from a hung first candidate within the deadline, recording it as failed", async () => {
    const seen: string[] = [];
    const verdicts: [string, AttemptVerdict][] = [];
    const origins = new OriginDispatcher({
      secret: "s",
      // A short first-byte budget (predicted 10 ms → 10 + 20 ms) keeps the test quick.
      timing: { floorMs: 10, factor: 1, slackMs: 20, reserveMs: 50 },
      record: (region, verdict) => verdicts.push([region, verdict]),
      fetch: (url, init) => {
        const host = new URL(url).host;
        seen.push(host);
        return host === "us.test" ? hang(url, init) : Promise.resolve(Response.json(served()));
      },
    });
    const candidates = TWO_REGIONS.map((t) => ({ ...t, predictedMs: 10 }));
    const result = await origins.generate(candidates, ORIGIN_REQUEST, 30_000, "00-x-y-01");
    expect(result).toMatchObject({ ok: true, region: "eu", attempts: 2 });
    expect(seen).toEqual(["us.test", "eu.test"]);
    expect(verdicts).toEqual([
      ["us", "failure"],
      ["eu", "success"],
    ]);
  });

  it("answers deadline_exceeded when the last candidate hangs too", async () => {
    const seen: string[] = [];
    const origins = new OriginDispatcher({
      secret: "s",
      // Every attempt's own signal replaced by a short one: the last attempt would wait the deadline.
      fetch: (url, init) => {
        seen.push(new URL(url).host);
        return hang(url, { ...init, signal: AbortSignal.timeout(20) });
      },
    });
    const result = await origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "deadline_exceeded", region: "eu" },
    });
    expect(seen).toEqual(["us.test", "eu.test"]);
  });

  it("never moves on once the answer has started arriving", async () => {
    const { seen, verdicts, origins } = dispatcher({
      "us.test": () => {
        const body = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"images":'));
            controller.error(Object.assign(new Error("body stalled"), { name: "TimeoutError" }));
          },
        });
        return Promise.resolve(new Response(body, { status: 200 }));
      },
      "eu.test": () => Promise.resolve(Response.json(served())),
    });
    const result = await origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "deadline_exceeded", region: "us" },
    });
    expect(seen).toEqual(["us"]);
    expect(verdicts).toEqual([["us", "failure"]]);
  });

  it("records a failure for a 5xx and a success for a 4xx", async () => {
    const { verdicts, origins } = dispatcher({
      "us.test": error(500, "internal_error"),
      "eu.test": error(400, "invalid_request"),
    });
    await origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(verdicts).toEqual([
      ["us", "failure"],
      ["eu", "success"],
    ]);
  });

  it("calls nobody when no candidate is left", async () => {
    const { seen, origins } = dispatcher({});
    const result = await origins.generate([], ORIGIN_REQUEST, 5_000, "00-x-y-01");
    expect(result).toEqual({ ok: false, failure: { kind: "no_capacity" }, attempts: 0 });
    expect(seen).toEqual([]);
  });

  it("passes each attempt what is left of the deadline, and records when each began", async () => {
    const bodies: { deadline_ms: number }[] = [];
    const began: number[] = [];
    let t = 0;
    const origins = new OriginDispatcher({
      secret: "s",
      now: () => t,
      record: (_region, _verdict, startedAt) => began.push(startedAt),
      // Each refusal takes a second.
      fetch: (_url, init) => {
        bodies.push(JSON.parse(String(init.body)));
        t += 1_000;
        return refused();
      },
    });
    await origins.generate(TWO_REGIONS, ORIGIN_REQUEST, 10_000, "00-x-y-01");
    expect(bodies.map((b) => b.deadline_ms)).toEqual([10_000, 9_000]);
    expect(began).toEqual([0, 1_000]);
  });
});

/** A well-formed origin answer to ORIGIN_REQUEST. */
function served() {
  return {
    images: [
      { b64: "AA==", seed: 1, sha256: "a".repeat(64), width: 512, height: 512, format: "png" },
    ],
    metadata: {
      request_id: ORIGIN_REQUEST.request_id,
      region: "eu",
      model: "tiny-sd",
      model_hash: "f".repeat(64),
      tier: "fast",
      scheduler: "euler",
      steps: 2,
      guidance_scale: 0,
      execution_provider: "cpu",
      onnxruntime_version: "1.30.0",
      timings: {
        queue_ms: 0,
        text_encode_ms: 0,
        denoise_ms: 0,
        decode_ms: 0,
        postprocess_ms: 0,
        total_ms: 0,
      },
    },
  };
}
