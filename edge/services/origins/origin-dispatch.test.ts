// OriginDispatcher: which failures move on to the next region, which are final, and the shared deadline.
import { describe, expect, it } from "vitest";
import { errorBody } from "../../../protocol/errors";
import type { FetchLike } from "./origin-call";
import { OriginDispatcher, type OriginRequest } from "./origin-dispatch";

const TARGETS = [
  { region: "us", url: "http://us.test" },
  { region: "eu", url: "http://eu.test" },
];

const REQUEST: OriginRequest = {
  request_id: "gen_1",
  tenant_id: "ten_1",
  tier: "fast",
  model: "default",
  prompt: "a fox",
  n: 1,
  width: 512,
  height: 512,
  steps: 2,
  guidance_scale: 0,
  seed: 1,
  scheduler: "euler",
};

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
  const fetch: FetchLike = (url, init) => {
    const host = new URL(url).host;
    seen.push(host.split(".")[0] ?? host);
    const answer = byHost[host];
    if (!answer) throw new Error(`unexpected ${host}`);
    return answer(url, init);
  };
  return { seen, origins: new OriginDispatcher(TARGETS, { secret: "s", fetch }) };
}

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
    ["a 429 is final", { "us.test": error(429, "overloaded") }, "rejected", ["us"]],
    ["a 400 is final", { "us.test": error(400, "invalid_request") }, "rejected", ["us"]],
    [
      "an unreadable 200 is final",
      { "us.test": () => Promise.resolve(new Response("<html>")) },
      "upstream_error",
      ["us"],
    ],
  ])("%s", async (_label, byHost, kind, regions) => {
    const { seen, origins } = dispatcher(byHost as Record<string, FetchLike>);
    const result = await origins.generate(REQUEST, 5_000, "00-x-y-01");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure.kind).toBe(kind);
    expect(seen).toEqual(regions);
  });

  it("answers deadline_exceeded for a hung origin without moving on", async () => {
    const seen: string[] = [];
    const origins = new OriginDispatcher(TARGETS, {
      secret: "s",
      // The attempt's own signal fires after budget + RESPONSE_GRACE_MS; a short one keeps this quick.
      fetch: (url, init) => {
        seen.push(new URL(url).host);
        return hang(url, { ...init, signal: AbortSignal.timeout(50) });
      },
    });
    const result = await origins.generate(REQUEST, 5_000, "00-x-y-01");
    expect(result).toMatchObject({
      ok: false,
      failure: { kind: "deadline_exceeded", region: "us" },
    });
    expect(seen).toEqual(["us.test"]);
  });

  it("passes each attempt what is left of the deadline", async () => {
    const bodies: { deadline_ms: number }[] = [];
    const origins = new OriginDispatcher(TARGETS, {
      secret: "s",
      now: (() => {
        let t = 0;
        return () => (t += 1_000);
      })(),
      fetch: (_url, init) => {
        bodies.push(JSON.parse(String(init.body)));
        return refused();
      },
    });
    await origins.generate(REQUEST, 10_000, "00-x-y-01");
    expect(bodies.map((b) => b.deadline_ms)).toEqual([9_000, 8_000]);
  });
});
