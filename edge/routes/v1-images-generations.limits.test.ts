// Limits through the route: exact rate limiting under a burst, concurrency slots, quota hold, charge and refund.
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectConformant } from "../test/conformance";
import { answerError, hold, installFakeOrigin, refuseConnection } from "../test/fake-origin";
import { generate, tenantWithKey, usageOf } from "../test/generation";
import { adminCall, type ErrorEnvelope } from "../test/harness";

afterEach(() => vi.restoreAllMocks());

const PROMPT = { prompt: "a lighthouse on a cliff" };

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
      "the region overloaded",
      { us: answerError(429, "overloaded", { "retry-after": "7" }) },
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

  it("passes the origin's Retry-After on overloaded and never fails over after a 4xx", async () => {
    const origin = installFakeOrigin({
      us: answerError(429, "overloaded", { "retry-after": "7" }),
    });
    const { key } = await tenantWithKey();
    const res = await generate(key, PROMPT);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(origin.calls.map((c) => c.region)).toEqual(["us"]);
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
