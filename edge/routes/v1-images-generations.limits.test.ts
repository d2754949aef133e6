// Limits through the route: exact rate limiting under a burst, concurrency slots, quota hold, charge and refund.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { GeneratedImage, GenerateResponse } from "../../protocol/generate";
import { expectConformant } from "../test/conformance";
import {
  answerError,
  hold,
  installFakeOrigin,
  type OriginBehaviour,
  refuseConnection,
  succeed,
} from "../test/fake-origin";
import { generate, generateEagerly, tenantWithKey, usageOf } from "../test/generation";
import { adminCall, type ErrorEnvelope } from "../test/harness";

afterEach(() => vi.restoreAllMocks());

const PROMPT = { prompt: "a lighthouse on a cliff" };

/** Answers 200 as `succeed` does, with each image changed by `spoil`: an answer the edge cannot use. */
function succeedSpoiled(spoil: Partial<GeneratedImage>): OriginBehaviour {
  const ok = succeed();
  return async (call) => {
    const answer = (await (await ok(call)).json()) as GenerateResponse;
    return Response.json({ ...answer, images: answer.images.map((i) => ({ ...i, ...spoil })) });
  };
}

async function errorOf(res: Response) {
  const body = (await res.json()) as ErrorEnvelope;
  expectConformant("ErrorResponse", body);
  return body.error;
}

describe("rate limit", () => {
  it("admits exactly 10 of a burst of 50 concurrent requests against a limit of 10", async () => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey({ rate_limit_per_minute: 10, max_concurrency: 100 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => generate(key, { ...PROMPT, quality: "low" })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    expect(origin.calls).toHaveLength(10);
    const rejected = responses.find((r) => r.status === 429)!;
    expect(Number(rejected.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(rejected.headers.get("ratelimit-remaining")).toBe("0");
    expect((await errorOf(rejected)).code).toBe("rate_limit_exceeded");
    expect(await usageOf(key)).toMatchObject({ images_used: 10, images_reserved: 0 });
  });
});

describe("concurrency and quota", () => {
  it("holds the quota while in flight, then charges the delivered images", async () => {
    const held = hold();
    installFakeOrigin({ us: held.behaviour });
    const { key } = await tenantWithKey({ monthly_image_quota: 10 });
    const pending = generate(key, { ...PROMPT, n: 3 });
    await held.firstArrival;
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 3, in_flight: 1 });
    held.release();
    expect((await pending).status).toBe(200);
    expect(await usageOf(key)).toMatchObject({ images_used: 3, images_reserved: 0, in_flight: 0 });
  });

  it("refuses a request beyond max_concurrency with 429 concurrency_limit", async () => {
    const held = hold();
    installFakeOrigin({ us: held.behaviour });
    const { key } = await tenantWithKey({ max_concurrency: 1 });
    const first = generate(key, PROMPT);
    await held.firstArrival;
    const second = await generate(key, PROMPT);
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    expect((await errorOf(second)).code).toBe("concurrency_limit");
    held.release();
    expect((await first).status).toBe(200);
  });

  it.each([
    [
      "every region unreachable",
      { us: refuseConnection, eu: refuseConnection },
      503,
      "no_capacity",
    ],
    [
      "every region failing",
      { us: answerError(500, "internal_error"), eu: answerError(500, "internal_error") },
      502,
      "upstream_error",
    ],
    [
      "the region past its deadline",
      { us: answerError(504, "deadline_exceeded") },
      504,
      "deadline_exceeded",
    ],
    [
      "every region is overloaded",
      {
        us: answerError(429, "overloaded", { "retry-after": "7" }),
        eu: answerError(429, "overloaded", { "retry-after": "7" }),
      },
      429,
      "overloaded",
    ],
  ])("refunds the whole hold when %s", async (_label, behaviours, status, code) => {
    installFakeOrigin(behaviours);
    const { key } = await tenantWithKey({ monthly_image_quota: 10 });
    const res = await generate(key, { ...PROMPT, n: 4 });
    expect(res.status).toBe(status);
    expect((await errorOf(res)).code).toBe(code);
    expect(res.headers.get("ratelimit-limit")).not.toBeNull();
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0, in_flight: 0 });
  });

  it.each([
    ["url", "bytes that are not base64", { b64: "not*base64!" }],
    ["url", "a sha256 that does not match its bytes", { sha256: "0".repeat(64) }],
  ])(
    "answers 502 upstream_error and refunds when, for %s, the region's 200 has %s",
    async (format, _label, spoil) => {
      installFakeOrigin({ us: succeedSpoiled(spoil) });
      const { key } = await tenantWithKey({ monthly_image_quota: 10 });
      const res = await generate(key, { ...PROMPT, n: 2, response_format: format });
      expect(res.status).toBe(502);
      const error = await errorOf(res);
      expect(error.code).toBe("upstream_error");
      expect(error.message).toMatch(/^The region answered with an image that could not be used/);
      expect(await usageOf(key)).toMatchObject({
        images_used: 0,
        images_reserved: 0,
        in_flight: 0,
      });
    },
  );

  it.each([
    ["7", null],
    ["300", "false"],
  ])(
    "passes the shortest Retry-After (%s s) when every region is overloaded, and tells SDKs not to sleep through a long one",
    async (retryAfter, shouldRetry) => {
      const origin = installFakeOrigin({
        us: answerError(429, "overloaded", { "retry-after": "900" }),
        eu: answerError(429, "overloaded", { "retry-after": retryAfter }),
      });
      const { key } = await tenantWithKey();
      const res = await generate(key, PROMPT);
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe(retryAfter);
      expect(res.headers.get("x-should-retry")).toBe(shouldRetry);
      expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    },
  );

  it("serves from the next region when the first one's queue is full, charging once", async () => {
    const origin = installFakeOrigin({
      us: answerError(429, "overloaded", { "retry-after": "7" }),
    });
    const { key } = await tenantWithKey({ monthly_image_quota: 10 });
    const res = await generate(key, PROMPT);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-darkroom-region")).toBe("eu");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
  });

  it("never fails over after the origin's 400: the next region would say the same", async () => {
    const origin = installFakeOrigin({ us: answerError(400, "invalid_request", {}, "prompt") });
    const { key } = await tenantWithKey();
    const res = await generate(key, PROMPT);
    expect(res.status).toBe(400);
    expect(origin.calls.map((c) => c.region)).toEqual(["us"]);
  });

  it("tells SDKs not to retry deadline_exceeded: the same request gets the same deadline", async () => {
    installFakeOrigin({ us: answerError(504, "deadline_exceeded") });
    const { key } = await tenantWithKey();
    const res = await generate(key, PROMPT);
    expect(res.status).toBe(504);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("retry-after")).toBeNull();
  });

  it("answers 400 naming n when n exceeds the whole monthly quota, without counting an attempt", async () => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey({ monthly_image_quota: 2, rate_limit_per_minute: 5 });
    const res = await generate(key, { ...PROMPT, n: 3 });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "invalid_request", param: "n" });
    expect(res.headers.get("ratelimit-remaining")).toBe("5");
    expect(origin.calls).toEqual([]);
    expect((await generate(key, { ...PROMPT, n: 2 })).status).toBe(200);
  });

  it("refuses what the quota cannot hold, and tells SDKs not to wait for next month", async () => {
    installFakeOrigin();
    const { key } = await tenantWithKey({ monthly_image_quota: 3 });
    expect((await generate(key, { ...PROMPT, n: 2 })).status).toBe(200);
    const over = await generate(key, { ...PROMPT, n: 2 });
    expect(over.status).toBe(429);
    expect((await errorOf(over)).code).toBe("insufficient_quota");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(60);
    expect(over.headers.get("x-should-retry")).toBe("false");
    expect((await generate(key, { ...PROMPT, n: 1 })).status).toBe(200);
    expect(await usageOf(key)).toMatchObject({ images_used: 3, images_reserved: 0 });
  });

  it("records the cost units charged in the audit record", async () => {
    installFakeOrigin();
    const { key, tenantId } = await tenantWithKey();
    await generate(
      key,
      { ...PROMPT, n: 2, size: "1024x1024" },
      { headers: { "x-request-id": "cost-1" } },
    );
    const audit = await adminCall<{
      data: { request_id: string; cost_charged: number; region: string }[];
    }>(`/admin/audit?tenant_id=${tenantId}`);
    const record = audit.body.data.find((r) => r.request_id === "cost-1");
    // quality 1024×1024 at the default 20 steps: 4 units per image.
    expect(record).toMatchObject({ cost_charged: 8, region: "us" });
  });
});

describe("settlement ahead of the client's next request", () => {
  /** A client that sends its next request the moment it has an answer, `count` times. */
  async function backToBack(key: string, count: number) {
    const statuses: number[] = [];
    const deferred: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const { response, done } = await generateEagerly(key, { ...PROMPT, quality: "low" });
      statuses.push(response.status);
      await response.arrayBuffer();
      deferred.push(done);
    }
    return { statuses, deferred };
  }

  it("frees the only slot for the next request: a back-to-back client never sees concurrency_limit", async () => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey({ max_concurrency: 1 });
    const { statuses, deferred } = await backToBack(key, 20);
    await Promise.all(deferred);
    expect(statuses).toEqual(Array(20).fill(200));
    expect(origin.calls).toHaveLength(20);
    expect(await usageOf(key)).toMatchObject({ images_used: 20, images_reserved: 0, in_flight: 0 });
  });

  it("keeps every client of a full tenant within its slots, and still refuses one client too many", async () => {
    installFakeOrigin();
    const { key } = await tenantWithKey({ max_concurrency: 4 });
    const clients = await Promise.all(Array.from({ length: 4 }, () => backToBack(key, 8)));
    await Promise.all(clients.flatMap((c) => c.deferred));
    expect(clients.flatMap((c) => c.statuses)).toEqual(Array(32).fill(200));
    expect(await usageOf(key)).toMatchObject({ images_used: 32, in_flight: 0 });

    const held = hold();
    installFakeOrigin({ us: held.behaviour });
    const { key: full } = await tenantWithKey({ max_concurrency: 1 });
    const first = generate(full, PROMPT);
    await held.firstArrival;
    const second = await generate(full, PROMPT);
    expect((await errorOf(second)).code).toBe("concurrency_limit");
    held.release();
    expect((await first).status).toBe(200);
  });

  it("still records the cost the settlement charged in the audit record", async () => {
    installFakeOrigin();
    const { key, tenantId } = await tenantWithKey();
    const { response, done } = await generateEagerly(
      key,
      { ...PROMPT, n: 2, size: "1024x1024" },
      { headers: { "x-request-id": "cost-eager" } },
    );
    expect(response.status).toBe(200);
    await done;
    const audit = await adminCall<{ data: { request_id: string; cost_charged: number }[] }>(
      `/admin/audit?tenant_id=${tenantId}`,
    );
    expect(audit.body.data.find((r) => r.request_id === "cost-eager")).toMatchObject({
      cost_charged: 8,
    });
  });
});
