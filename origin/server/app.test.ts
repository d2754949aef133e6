import { beforeAll, describe, expect, it } from "vitest";
import { ErrorBodySchema } from "../../protocol/errors";
import type { GenerateResponse } from "../../protocol/generate";
import { loadTinyPipeline, validRequest } from "../../test/support/origin-fixtures";
import { signedInit, TEST_SECRET } from "../../test/support/signed-request";
import type { DiffusionPipeline } from "../engine/pipeline";
import { ContinuousBatcher } from "../scheduler/continuous-batcher";
import { createOriginApp } from "./app";
import { createBenchNullImage } from "./bench-null-image";
import { createOriginMetrics } from "./metrics";
import { OriginState } from "./origin-state";
import { ReplayGuard } from "./replay-guard";
import { RequestLedger } from "./request-ledger";

const GENERATE = "/internal/v1/generate";
let pipeline: DiffusionPipeline;

beforeAll(async () => {
  pipeline = await loadTinyPipeline();
});

function makeApp(ready = true) {
  const state = new OriginState();
  if (ready) state.markReady({ pipeline, scheduler: new ContinuousBatcher(pipeline) });
  const metrics = createOriginMetrics();
  const app = createOriginApp({
    state,
    metrics,
    replay: new ReplayGuard(),
    ledger: new RequestLedger(),
    region: "test",
    secrets: ["old-secret", TEST_SECRET],
  });
  return { app, state, metrics };
}

async function expectError(res: Response, status: number, code: string, param?: string | null) {
  expect(res.status).toBe(status);
  const body = ErrorBodySchema.parse(await res.json());
  expect(body.error.code).toBe(code);
  if (param !== undefined) expect(body.error.param).toBe(param);
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  return body;
}

describe("signed generate", () => {
  it("returns images with metadata for a correctly signed request", async () => {
    const { app, metrics } = makeApp();
    const body = JSON.stringify(validRequest({ n: 2 }));
    const res = await app.request(GENERATE, await signedInit(GENERATE, body));
    expect(res.status).toBe(200);
    const json = (await res.json()) as GenerateResponse;
    expect(json.images).toHaveLength(2);
    expect(json.images.map((i) => i.seed)).toEqual([7, 8]);
    expect(json.images[0]!.sha256).not.toBe(json.images[1]!.sha256);
    expect(json.metadata.model_hash).toBe(pipeline.model.sha256);
    expect(
      await metrics.registry.getSingleMetricAsString("darkroom_origin_requests_total"),
    ).toMatch(/tier="fast",status="200"} 1/);
  });

  it("accepts a request signed with the secret being rotated out", async () => {
    const { app } = makeApp();
    const body = JSON.stringify(validRequest());
    const res = await app.request(
      GENERATE,
      await signedInit(GENERATE, body, { secret: "old-secret" }),
    );
    expect(res.status).toBe(200);
  });

  it("signs GET /internal/v1/load too", async () => {
    const { app } = makeApp();
    const path = "/internal/v1/load";
    expect((await app.request(path)).status).toBe(401);
    const res = await app.request(path, await signedInit(path, "", { method: "GET" }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ region: "test", ready: true, models: ["tiny-sd"] });
  });
});

describe("signature rejections → 401 invalid_signature", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Array<[string, (body: string) => Promise<RequestInit>]> = [
    [
      "unsigned",
      async (body) => ({ method: "POST", body, headers: { "content-type": "application/json" } }),
    ],
    ["forged with another secret", (body) => signedInit(GENERATE, body, { secret: "attacker" })],
    ["stale by 90 s", (body) => signedInit(GENERATE, body, { nowSeconds: now() - 90 })],
    ["from 90 s in the future", (body) => signedInit(GENERATE, body, { nowSeconds: now() + 90 })],
    [
      "signed for another path",
      async (body) => signedInit("/internal/v1/other", body).then((i) => i),
    ],
    [
      "body changed after signing",
      async (body) => ({
        ...(await signedInit(GENERATE, body)),
        body: body.replace("red", "blue"),
      }),
    ],
    [
      "malformed signature header",
      async (body) => {
        const init = await signedInit(GENERATE, body);
        return {
          ...init,
          headers: { ...(init.headers as object), "x-darkroom-signature": "v2=zz" },
        };
      },
    ],
  ];
  it.each(cases)("%s", async (_name, build) => {
    const { app } = makeApp();
    const res = await app.request(GENERATE, await build(JSON.stringify(validRequest())));
    await expectError(res, 401, "invalid_signature");
  });

  it("an exact replay of a signed request", async () => {
    const { app } = makeApp();
    const init = await signedInit(GENERATE, JSON.stringify(validRequest()));
    expect((await app.request(GENERATE, init)).status).toBe(200);
    await expectError(await app.request(GENERATE, init), 401, "invalid_signature");
  });
});

describe("readiness", () => {
  it("healthz and readyz are 503 once the origin has failed for good", async () => {
    const { app, state } = makeApp();
    expect((await app.request("/healthz")).status).toBe(200);
    state.markFailed("onnxruntime worker exited (code 1)");
    const health = await app.request("/healthz");
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({
      status: "failed",
      error: "onnxruntime worker exited (code 1)",
    });
    expect((await app.request("/readyz")).status).toBe(503);
  });

  it("keeps a failed model URL's credentials out of the public probes", async () => {
    const { app, state } = makeApp();
    state.markFailed(
      "Model manifest https://user:pw@bucket.example/m/manifest.json?X-Amz-Signature=SECRETSIG&X-Amz-Credential=AKIAX could not be read (403).",
    );
    for (const path of ["/healthz", "/readyz"]) {
      const text = await (await app.request(path)).text();
      expect(text).toContain("https://bucket.example/m/manifest.json could not be read (403).");
      expect(text).not.toMatch(/SECRETSIG|AKIAX|user:pw/);
    }
  });

  it("readyz is 503 while loading and 200 once the model is warm", async () => {
    const { app, state } = makeApp(false);
    expect((await app.request("/healthz")).status).toBe(200);
    const before = await app.request("/readyz");
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ status: "loading" });
    const body = JSON.stringify(validRequest());
    await expectError(
      await app.request(GENERATE, await signedInit(GENERATE, body)),
      503,
      "not_ready",
    );
    state.markReady({ pipeline, scheduler: new ContinuousBatcher(pipeline) });
    expect((await app.request("/readyz")).status).toBe(200);
    state.startDraining();
    expect((await app.request("/readyz")).status).toBe(503);
  });

  it("exposes Prometheus metrics", async () => {
    const { app } = makeApp();
    const text = await (await app.request("/metrics")).text();
    expect(text).toContain("darkroom_origin_denoise_seconds");
    expect(text).toContain("darkroom_origin_model_load_seconds");
  });
});

describe("benchmark-only null origin", () => {
  it("verifies and validates, then answers with the fixed image without a model", async () => {
    const state = new OriginState();
    state.markReadyWithoutModel();
    const app = createOriginApp({
      state,
      metrics: createOriginMetrics(),
      replay: new ReplayGuard(),
      ledger: new RequestLedger(),
      region: "bench",
      secrets: [TEST_SECRET],
      benchNullImage: await createBenchNullImage(),
    });
    const ok = await app.request(
      GENERATE,
      await signedInit(GENERATE, JSON.stringify(validRequest({ n: 2 }))),
    );
    expect(ok.status).toBe(200);
    const json = (await ok.json()) as GenerateResponse;
    expect(json.images).toHaveLength(2);
    expect(Buffer.from(json.images[0]!.b64, "base64").subarray(1, 4).toString()).toBe("PNG");
    const bad = JSON.stringify(validRequest({ steps: 9 }));
    await expectError(
      await app.request(GENERATE, await signedInit(GENERATE, bad)),
      400,
      "invalid_request",
      "steps",
    );
    await expectError(
      await app.request(GENERATE, { method: "POST", body: bad }),
      401,
      "invalid_signature",
    );
  });
});
