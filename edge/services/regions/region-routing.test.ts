// Routing through the Worker: residency, the registry over the bootstrap list, breakers, trials, hung origins.
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  FAKE_ORIGINS,
  hangUp,
  installFakeOrigin,
  refuseConnection,
  succeed,
} from "../../test/fake-origin";
import { generate, usageOf } from "../../test/generation";
import { adminCall, createTenant, type ErrorEnvelope, issueKey } from "../../test/harness";

afterEach(() => vi.restoreAllMocks());

const FAST = { prompt: "a lighthouse", quality: "low" };

async function keyFor(fields: Record<string, unknown> = {}) {
  const tenant = await createTenant({
    rate_limit_per_minute: 1_000,
    max_concurrency: 100,
    ...fields,
  });
  return (await issueKey(tenant.id)).key;
}

async function register(region: "us" | "eu", fields: Record<string, unknown> = {}) {
  const url = FAKE_ORIGINS.find((o) => o.region === region)!.url;
  const res = await adminCall("/admin/origins", { json: { region, url, ...fields } });
  if (res.status !== 201) throw new Error(`register ${region}: ${res.status}`);
}

const unregister = (region: string) => adminCall(`/admin/origins/${region}`, { method: "DELETE" });
const health = async (region: string, bindings: Record<string, string>) =>
  (
    await adminCall<{ health: { breaker: string; consecutive_failures: number } }>(
      `/admin/origins/${region}`,
      { bindings },
    )
  ).body.health;

describe("residency", () => {
  it("serves a tenant pinned to eu only from eu", async () => {
    const origin = installFakeOrigin();
    const key = await keyFor({ residency: "eu" });
    const res = await generate(key, FAST);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-darkroom-region")).toBe("eu");
    expect(origin.calls.map((c) => c.region)).toEqual(["eu"]);
  });

  it("answers 503 no_capacity when the pinned region is down, never calling another", async () => {
    const origin = installFakeOrigin({ eu: refuseConnection });
    const key = await keyFor({ residency: "eu" });
    const res = await generate(key, FAST);
    expect(res.status).toBe(503);
    expect(((await res.json()) as ErrorEnvelope).error.code).toBe("no_capacity");
    expect(origin.calls.map((c) => c.region)).toEqual(["eu"]);
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0 });
  });
});

describe("the registry", () => {
  it("replaces the bootstrap list once it has rows, and applies changes at once", async () => {
    const origin = installFakeOrigin();
    const key = await keyFor();
    await register("eu");
    expect((await generate(key, FAST)).headers.get("x-darkroom-region")).toBe("eu");
    await register("us", { weight: 5 });
    expect((await generate(key, FAST)).headers.get("x-darkroom-region")).toBe("us");
    await adminCall("/admin/origins/us", { method: "PATCH", json: { state: "draining" } });
    expect((await generate(key, FAST)).headers.get("x-darkroom-region")).toBe("eu");
    await adminCall("/admin/origins/eu", { method: "PATCH", json: { state: "disabled" } });
    const before = origin.calls.length;
    const none = await generate(key, FAST);
    expect(none.status).toBe(503);
    expect(origin.calls.length).toBe(before);
    await unregister("us");
    await unregister("eu");
  });
});

describe("circuit breaker", () => {
  const OPENS_AFTER_TWO = { BREAKER_FAILURES: "2", BREAKER_COOLDOWN_MS: "600000" };

  it("opens after consecutive failures, and the next request skips the region", async () => {
    await register("us");
    await register("eu");
    const origin = installFakeOrigin({ us: refuseConnection });
    const key = await keyFor();
    for (let i = 0; i < 2; i++) {
      const res = await generate(key, FAST, { bindings: OPENS_AFTER_TWO });
      expect(res.headers.get("x-darkroom-region")).toBe("eu");
    }
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu", "us", "eu"]);
    expect(await health("us", OPENS_AFTER_TWO)).toMatchObject({
      breaker: "open",
      consecutive_failures: 2,
    });
    const third = await generate(key, FAST, { bindings: OPENS_AFTER_TWO });
    expect(third.headers.get("x-darkroom-region")).toBe("eu");
    expect(origin.calls.slice(4).map((c) => c.region)).toEqual(["eu"]);
    await unregister("us");
    await unregister("eu");
  });

  it("re-admits a recovered region through a half-open trial, and re-opens on a failed one", async () => {
    // No cool-down: the breaker is half-open as soon as it opens.
    const bindings = { BREAKER_FAILURES: "2", BREAKER_COOLDOWN_MS: "0" };
    await register("us");
    await register("eu");
    const key = await keyFor();
    let origin = installFakeOrigin({ us: refuseConnection });
    await generate(key, FAST, { bindings });
    await generate(key, FAST, { bindings });
    // Opened by the two failures (and, with no cool-down, half-open at once).
    const opened = await health("us", bindings);
    expect(opened).toMatchObject({ breaker: "half_open", consecutive_failures: 2 });
    // Still down: the trial fails over to eu and re-opens the breaker, from a later moment.
    const failedTrial = await generate(key, FAST, { bindings });
    expect(failedTrial.headers.get("x-darkroom-region")).toBe("eu");
    expect(origin.calls.slice(4).map((c) => c.region)).toEqual(["us", "eu"]);
    const reopened = await health("us", bindings);
    expect(reopened).toMatchObject({ breaker: "half_open", consecutive_failures: 3 });
    vi.restoreAllMocks();
    origin = installFakeOrigin({ us: succeed() });
    const trial = await generate(key, FAST, { bindings });
    expect(trial.headers.get("x-darkroom-region")).toBe("us");
    expect(await health("us", bindings)).toMatchObject({ breaker: "closed" });
    const after = await generate(key, FAST, { bindings });
    expect(after.headers.get("x-darkroom-region")).toBe("us");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "us"]);
    await unregister("us");
    await unregister("eu");
  });

  it("takes a half-open region's trial only when a request gets to try it", async () => {
    const bindings = { BREAKER_FAILURES: "2", BREAKER_COOLDOWN_MS: "0" };
    await register("us");
    await register("eu");
    const pinned = await keyFor({ residency: "eu" });
    const anywhere = await keyFor();
    installFakeOrigin({ eu: refuseConnection });
    await generate(pinned, FAST, { bindings });
    await generate(pinned, FAST, { bindings });
    expect(await health("eu", bindings)).toMatchObject({ breaker: "half_open" });
    vi.restoreAllMocks();
    const origin = installFakeOrigin();
    // us ranks first and serves it: eu, second, is never tried, so its trial stays free…
    const served = await generate(anywhere, FAST, { bindings });
    expect(served.headers.get("x-darkroom-region")).toBe("us");
    // …for the request that can only go there, which re-admits it.
    const trial = await generate(pinned, FAST, { bindings });
    expect(trial.status).toBe(200);
    expect(trial.headers.get("x-darkroom-region")).toBe("eu");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    expect(await health("eu", bindings)).toMatchObject({ breaker: "closed" });
    await unregister("us");
    await unregister("eu");
  });
});

describe("failover", () => {
  it("moves on from a hung origin before the request's deadline", async () => {
    await register("us");
    await register("eu");
    const origin = installFakeOrigin({ us: hangUp });
    // Probed loads give both a prediction, so us gets a first-byte budget near the 1 s floor.
    await adminCall("/admin/origins/probe", { method: "POST" });
    const key = await keyFor();
    const res = await generate(key, FAST);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-darkroom-region")).toBe("eu");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
    await unregister("us");
    await unregister("eu");
  });
});
