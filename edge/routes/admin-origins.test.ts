// Admin origins API: register, read with health, patch, delete, conflicts and validation, and the probe.
import { afterEach, describe, expect, it, vi } from "vitest";
import { FAKE_ORIGINS, installFakeOrigin } from "../test/fake-origin";
import { adminCall, callJson, type ErrorEnvelope } from "../test/harness";

afterEach(() => vi.restoreAllMocks());

const US = FAKE_ORIGINS[0];
const EU = FAKE_ORIGINS[1];

interface Health {
  ready: boolean | null;
  breaker: string;
  consecutive_failures: number;
  opened_at: string | null;
  last_probe_at: string | null;
  load: { region: string; tiers: { fast: { step_ms: number } } } | null;
}
type Origin = Record<string, unknown> & { region: string; health: Health };

const remove = (region: string) => adminCall(`/admin/origins/${region}`, { method: "DELETE" });

describe("admin origins", () => {
  it("registers an origin with defaults and reads it back with unknown health", async () => {
    const created = await adminCall("/admin/origins", {
      json: { region: "us", url: `${US.url}/`, continents: ["NA"] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      object: "origin",
      region: "us",
      url: US.url,
      continents: ["NA"],
      colos: [],
      weight: 1,
      models: [],
      state: "active",
    });
    const read = await adminCall<Origin>("/admin/origins/us");
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject(created.body);
    expect(read.body.health).toEqual({
      ready: null,
      breaker: "closed",
      consecutive_failures: 0,
      opened_at: null,
      last_probe_at: null,
      load: null,
    });
    const listed = await adminCall<{ object: string; data: Origin[] }>("/admin/origins");
    expect(listed.body.object).toBe("list");
    expect(listed.body.data.map((o) => o.region)).toEqual(["us"]);
    await remove("us");
  });

  it("answers 409 conflict for a region already registered", async () => {
    await adminCall("/admin/origins", { json: { region: "eu", url: EU.url } });
    const again = await adminCall<ErrorEnvelope>("/admin/origins", {
      json: { region: "eu", url: "http://other.test" },
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: "conflict", param: "region" });
    await remove("eu");
  });

  it("requires https for an origin off loopback outside development, on create and patch", async () => {
    const token = "prod-admin-token-0123456789";
    const production = { token, bindings: { ENVIRONMENT: "production", ADMIN_TOKEN: token } };
    const plain = await adminCall<ErrorEnvelope>("/admin/origins", {
      ...production,
      json: { region: "ap", url: "http://ap.example" },
    });
    expect(plain.status).toBe(400);
    expect(plain.body.error).toMatchObject({ code: "invalid_request", param: "url" });
    // A name that merely starts like a loopback address is an ordinary remote host.
    const lookalike = await adminCall<ErrorEnvelope>("/admin/origins", {
      ...production,
      json: { region: "ap", url: "http://127.example.com/" },
    });
    expect(lookalike.status).toBe(400);
    expect(lookalike.body.error).toMatchObject({ code: "invalid_request", param: "url" });
    for (const url of [
      "https://ap.example",
      "http://127.0.0.1:8801",
      "http://127.1:8801",
      "http://localhost:8801",
      "http://[::1]:8801",
    ]) {
      const ok = await adminCall("/admin/origins", { ...production, json: { region: "ap", url } });
      expect(ok.status, url).toBe(201);
      await remove("ap");
    }
    await adminCall("/admin/origins", {
      ...production,
      json: { region: "ap", url: "https://ap.example" },
    });
    const patched = await adminCall<ErrorEnvelope>("/admin/origins/ap", {
      ...production,
      method: "PATCH",
      json: { url: "http://ap.example" },
    });
    expect(patched.status).toBe(400);
    expect(patched.body.error.param).toBe("url");
    await remove("ap");
  });

  it("patches any field but the region, and 404s an unknown one", async () => {
    await adminCall("/admin/origins", { json: { region: "ap", url: "http://ap.test" } });
    const patched = await adminCall("/admin/origins/ap", {
      method: "PATCH",
      json: { state: "draining", weight: 2.5, models: ["tiny-sd"], colos: ["SIN"] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      region: "ap",
      state: "draining",
      weight: 2.5,
      models: ["tiny-sd"],
      colos: ["SIN"],
    });
    const rename = await adminCall<ErrorEnvelope>("/admin/origins/ap", {
      method: "PATCH",
      json: { region: "sa" },
    });
    expect(rename.status).toBe(400);
    expect(rename.body.error).toMatchObject({ code: "invalid_request", param: "region" });
    const missing = await adminCall<ErrorEnvelope>("/admin/origins/nowhere", {
      method: "PATCH",
      json: { state: "active" },
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
    await remove("ap");
  });

  it("deletes an origin: 200 once, then 404", async () => {
    await adminCall("/admin/origins", { json: { region: "sa", url: "http://sa.test" } });
    const deleted = await remove("sa");
    expect(deleted).toMatchObject({ status: 200, body: { region: "sa", deleted: true } });
    expect((await adminCall("/admin/origins/sa")).status).toBe(404);
    expect((await remove("sa")).status).toBe(404);
  });

  it.each([
    ["an unknown field", { region: "x", url: "http://x.test", colour: "red" }, "colour"],
    ["a bad region tag", { region: "EU!", url: "http://x.test" }, "region"],
    ["a non-http url", { region: "x", url: "ftp://x.test" }, "url"],
    [
      "a bad continent",
      { region: "x", url: "http://x.test", continents: ["Europe"] },
      "continents.0",
    ],
    ["a bad state", { region: "x", url: "http://x.test", state: "paused" }, "state"],
  ])("rejects %s with 400 naming the field", async (_label, json, param) => {
    const res = await adminCall<ErrorEnvelope>("/admin/origins", { json });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", param });
  });

  it("refuses callers without the admin token", async () => {
    const res = await callJson<ErrorEnvelope>("/admin/origins");
    expect(res.status).toBe(401);
  });

  it("probes every origin now and lists what it found", async () => {
    await adminCall("/admin/origins", { json: { region: "us", url: US.url } });
    await adminCall("/admin/origins", { json: { region: "eu", url: EU.url } });
    const origin = installFakeOrigin(
      {},
      { probes: { us: { load: { tiers: fastStep(42) } }, eu: { refuse: true } } },
    );
    const probed = await adminCall<{ data: Origin[] }>("/admin/origins/probe", { method: "POST" });
    expect(probed.status).toBe(200);
    const byRegion = Object.fromEntries(probed.body.data.map((o) => [o.region, o.health]));
    expect(byRegion.us).toMatchObject({ ready: true, breaker: "closed" });
    expect(byRegion.us?.load?.tiers.fast.step_ms).toBe(42);
    expect(byRegion.us?.last_probe_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(byRegion.eu).toMatchObject({ ready: false, load: null });
    // /readyz and the signed load report, once per origin.
    expect(origin.probes.map((p) => `${p.region}${p.path}`).sort()).toEqual([
      "eu/internal/v1/load",
      "eu/readyz",
      "us/internal/v1/load",
      "us/readyz",
    ]);
    expect(origin.calls).toHaveLength(0);
    await remove("us");
    await remove("eu");
  });
  it("reads an origin that refuses the edge's signature as not ready", async () => {
    await adminCall("/admin/origins", { json: { region: "us", url: US.url } });
    installFakeOrigin();
    const probed = await adminCall<{ data: Origin[] }>("/admin/origins/probe", {
      method: "POST",
      bindings: { ORIGIN_SHARED_SECRET: "not-the-origins-secret" },
    });
    const us = probed.body.data.find((o) => o.region === "us");
    expect(us?.health).toMatchObject({ ready: false, load: null });
    const fixed = await adminCall<{ data: Origin[] }>("/admin/origins/probe", { method: "POST" });
    expect(fixed.body.data.find((o) => o.region === "us")?.health).toMatchObject({ ready: true });
    await remove("us");
  });
});

function fastStep(step_ms: number) {
  const idle = { queue_depth: 0, predicted_wait_ms: 0, step_ms: 10 };
  return { fast: { ...idle, step_ms }, quality: idle, batch: idle };
}
