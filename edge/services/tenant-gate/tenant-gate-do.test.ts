// TenantGate in the real Workers runtime (Miniflare): exact limits under concurrency, state across a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  AdmitRequest,
  AdmitResult,
  Carrying,
  SettleResult,
  TenantLimits,
  TenantUsage,
} from "./tenant-gate";
import { bundleGateWorker, call, startGateWorker } from "./test-harness/start-gate-worker";

const LIMITS: TenantLimits = {
  rate_limit_per_minute: 10,
  max_concurrency: 100,
  monthly_image_quota: 1000,
};
const persistDir = mkdtempSync(join(tmpdir(), "tenant-gate-"));
let script = "";
let mf: Miniflare;

function request(id: string, over: Partial<AdmitRequest> = {}): AdmitRequest {
  return { requestId: id, images: 1, unitsPerImage: 2, leaseMs: 600_000, limits: LIMITS, ...over };
}

function requests(prefix: string, count: number, over: Partial<AdmitRequest> = {}) {
  return Array.from({ length: count }, (_, i) => request(`${prefix}-${i}`, over));
}

const admitted = (results: AdmitResult[]) => results.filter((r) => r.ok).length;
const reasonCount = (results: AdmitResult[], reason: string) =>
  results.filter((r) => !r.ok && r.reason === reason).length;

beforeAll(async () => {
  script = await bundleGateWorker();
  mf = startGateWorker(script, persistDir);
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  rmSync(persistDir, { recursive: true, force: true });
});

describe("TenantGate Durable Object", () => {
  it("admits exactly 10 of 50 concurrent requests from separate clients", async () => {
    const burst = requests("http", 50);
    const results = await Promise.all(
      burst.map((r) => call<AdmitResult>(mf, { op: "admit", tenantId: "t-http", request: r })),
    );
    expect(admitted(results)).toBe(10);
    expect(reasonCount(results, "rate_limit_exceeded")).toBe(40);
    expect(
      results
        .filter((r) => r.ok)
        .map((r) => r.rateLimit.remaining)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("admits exactly 10 of 50 admits in flight together inside one Worker", async () => {
    const results = await call<AdmitResult[]>(mf, {
      op: "admit-burst",
      tenantId: "t-burst",
      requests: requests("burst", 50),
    });
    expect(admitted(results)).toBe(10);
  });

  it("holds concurrency and quota exactly under a concurrent burst", async () => {
    const slots = { ...LIMITS, rate_limit_per_minute: 1000, max_concurrency: 3 };
    const bySlots = await call<AdmitResult[]>(mf, {
      op: "admit-burst",
      tenantId: "t-slots",
      requests: requests("slot", 50, { limits: slots }),
    });
    expect(admitted(bySlots)).toBe(3);
    expect(reasonCount(bySlots, "concurrency_limit")).toBe(47);
    const quota = { ...slots, max_concurrency: 100, monthly_image_quota: 7 };
    const byQuota = await call<AdmitResult[]>(mf, {
      op: "admit-burst",
      tenantId: "t-quota",
      requests: requests("quota", 50, { limits: quota, images: 2 }),
    });
    expect(admitted(byQuota)).toBe(3);
    expect(reasonCount(byQuota, "insufficient_quota")).toBe(47);
  });

  it("applies carried settlements before deciding, and only once", async () => {
    const tenantId = "t-carry";
    const limits = { ...LIMITS, max_concurrency: 1 };
    const first = await call<AdmitResult>(mf, {
      op: "admit",
      tenantId,
      request: request("carry-1", { images: 2, limits }),
    });
    expect(first.ok).toBe(true);
    // The slot is taken: without its settlement, the next attempt is refused.
    const refused = await call<AdmitResult>(mf, {
      op: "admit",
      tenantId,
      request: request("carry-2", { limits }),
    });
    expect(refused).toMatchObject({ ok: false, reason: "concurrency_limit" });
    // The settlement of carry-1 arrives with the next admit, ahead of its own call.
    const carried = [{ requestId: "carry-1", deliveredImages: 1 }];
    const admitCarrying = (id: string) =>
      call<Carrying<AdmitResult>>(mf, {
        op: "admit-carrying",
        tenantId,
        request: request(id, { limits }),
        carried,
      });
    const third = await admitCarrying("carry-3");
    expect(third.ok).toBe(true);
    // The answer says what the carried settlement did, for the settle() deferred on it.
    expect(third.carried).toEqual([
      {
        requestId: "carry-1",
        result: { status: "settled", chargedImages: 1, refundedImages: 1, chargedUnits: 2 },
      },
    ]);
    // The settlement's own call, arriving late, and a second carry change nothing.
    const late = { op: "settle", tenantId, requestId: "carry-1", deliveredImages: 1 };
    expect(await call<SettleResult>(mf, late)).toMatchObject({ status: "already_settled" });
    await call(mf, { op: "settle", tenantId, requestId: "carry-3", deliveredImages: 1 });
    const fourth = await admitCarrying("carry-4");
    expect(fourth.ok).toBe(true);
    expect(fourth.carried?.[0]?.result).toMatchObject({ status: "already_settled" });
    const used = await call<TenantUsage>(mf, { op: "usage", tenantId, limits });
    expect(used).toMatchObject({ images_used: 2, images_reserved: 1, in_flight: 1 });
  });

  it("keeps counters and holds across a restart, and settles exactly once after it", async () => {
    const tenantId = "t-restart";
    // Two attempts per minute: both are used before the restart, so none may pass after it.
    const limits = { ...LIMITS, rate_limit_per_minute: 2 };
    await call(mf, { op: "admit", tenantId, request: request("keep", { images: 4, limits }) });
    await call(mf, { op: "admit", tenantId, request: request("done", { images: 2, limits }) });
    await call(mf, { op: "settle", tenantId, requestId: "done", deliveredImages: 1 });

    await mf.dispose();
    mf = startGateWorker(script, persistDir);

    const before = await call<TenantUsage>(mf, { op: "usage", tenantId, limits });
    expect(before).toMatchObject({
      images_used: 1,
      images_reserved: 4,
      units_used: 2,
      in_flight: 1,
    });
    const settleKeep = { op: "settle", tenantId, requestId: "keep", deliveredImages: 3 };
    expect(await call<SettleResult>(mf, settleKeep)).toEqual({
      status: "settled",
      chargedImages: 3,
      refundedImages: 1,
      chargedUnits: 6,
    });
    expect((await call<SettleResult>(mf, settleKeep)).status).toBe("already_settled");
    // Settled before the restart: still a no-op after it, reporting the original charge.
    const settleDone = { op: "settle", tenantId, requestId: "done", deliveredImages: 2 };
    expect(await call<SettleResult>(mf, settleDone)).toMatchObject({
      status: "already_settled",
      chargedImages: 1,
    });
    const results = await call<AdmitResult[]>(mf, {
      op: "admit-burst",
      tenantId,
      requests: requests("after", 5, { limits }),
    });
    expect(reasonCount(results, "rate_limit_exceeded")).toBe(5);
    const after = await call<TenantUsage>(mf, { op: "usage", tenantId, limits });
    expect(after).toMatchObject({ images_used: 4, images_reserved: 0, units_used: 8 });
  });
});
