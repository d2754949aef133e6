// POST /v1/images/generations served: OpenAI response shape, tier mapping, what the origin is sent, url images.
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectConformant } from "../test/conformance";
import { answerError, installFakeOrigin, refuseConnection } from "../test/fake-origin";
import { generate, tenantWithKey } from "../test/generation";
import { call } from "../test/harness";
import type { ImagesResponse } from "./v1-images-generations-schema";

afterEach(() => vi.restoreAllMocks());

async function generated(res: Response): Promise<ImagesResponse> {
  const body = (await res.json()) as ImagesResponse;
  expect(res.status, JSON.stringify(body)).toBe(200);
  expectConformant("ImagesResponse", body);
  return body;
}

describe("POST /v1/images/generations", () => {
  it("returns b64_json images with seeds, darkroom metadata and the documented headers", async () => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey({ rate_limit_per_minute: 30 });
    const res = await generate(key, { prompt: "a lighthouse at dusk", n: 2, seed: 41 });
    const body = await generated(res);
    expect(body.data.map((d) => d.seed)).toEqual([41, 42]);
    expect(atob(body.data[0]?.b64_json ?? "").slice(1, 4)).toBe("PNG");
    expect(body.data[0]).not.toHaveProperty("revised_prompt");
    expect(body.darkroom).toMatchObject({
      request_id: res.headers.get("x-request-id"),
      region: "us",
      tier: "quality",
      model: "tiny-sd",
      size: "512x512",
      steps: 20,
      scheduler: "euler_ancestral",
      guidance_scale: 7.5,
    });
    expect(body.darkroom.timings).toMatchObject({ denoise_ms: 3, origin_total_ms: 15 });
    expect(res.headers.get("x-darkroom-region")).toBe("us");
    expect(res.headers.get("x-darkroom-tier")).toBe("quality");
    expect(res.headers.get("ratelimit-limit")).toBe("30");
    expect(res.headers.get("ratelimit-remaining")).toBe("29");
    expect(res.headers.get("ratelimit-reset")).toMatch(/^\d+$/);
    expect(origin.calls).toHaveLength(1);
  });

  it("sends the origin the cleaned prompt, the safety verdict and the tenant's prompt policy", async () => {
    const origin = installFakeOrigin();
    const { key, tenantId } = await tenantWithKey({ store_prompts: true });
    const prompt = "a red\u200B fox \u202Ein the snow";
    const body = await generated(
      await generate(
        key,
        { prompt, negative_prompt: "blurry", user: "u-1" },
        { headers: { traceparent: `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01` } },
      ),
    );
    const sent = origin.calls[0]?.body;
    expect(sent).toMatchObject({
      tenant_id: tenantId,
      prompt: "a red fox in the snow",
      negative_prompt: "blurry",
      store_prompt: true,
      safety: { decision: "allow" },
      deadline_ms: expect.any(Number),
    });
    expect(sent?.request_id).toMatch(/^gen_/);
    expect(sent?.safety.policy_version).toMatch(/^\S+$/);
    expect(origin.calls[0]?.headers.get("traceparent")).toMatch(
      new RegExp(`^00-${"ab".repeat(16)}-`),
    );
    expect(body.data[0]?.revised_prompt).toBe("a red fox in the snow");
  });

  it.each([
    [
      "quality low → fast tier defaults",
      { quality: "low" },
      { tier: "fast", steps: 2, guidance_scale: 0, scheduler: "euler" },
    ],
    [
      "quality hd → quality tier, high-quality steps",
      { quality: "hd" },
      { tier: "quality", steps: 40 },
    ],
    ["quality high → 40 steps", { quality: "high" }, { tier: "quality", steps: 40 }],
    ["quality standard → 20 steps", { quality: "standard" }, { tier: "quality", steps: 20 }],
    [
      "an explicit tier wins over quality",
      { quality: "hd", tier: "fast" },
      { tier: "fast", steps: 4 },
    ],
    [
      "explicit steps win over quality",
      { quality: "hd", steps: 12 },
      { tier: "quality", steps: 12 },
    ],
    ["size auto is 512x512", { size: "auto" }, { width: 512, height: 512 }],
    [
      "a tier size bucket",
      { size: "768x1024", scheduler: "ddim" },
      { width: 768, height: 1024, scheduler: "ddim" },
    ],
    ["model default passes through", { model: "default" }, { model: "default" }],
    ["a catalog model id", { model: "tiny-sd" }, { model: "tiny-sd" }],
    [
      "nulls mean unset",
      { n: null, size: null, quality: null, style: null, stream: false },
      { n: 1, tier: "quality" },
    ],
  ])("maps %s", async (_label, fields, expected) => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey();
    await generated(await generate(key, { prompt: "a quiet harbour", ...fields }));
    expect(origin.calls[0]?.body).toMatchObject(expected);
  });

  it("stores url images in R2 and serves them to the owner with type, etag and caching", async () => {
    installFakeOrigin();
    const { key } = await tenantWithKey();
    const body = await generated(
      await generate(key, {
        prompt: "a lighthouse",
        response_format: "url",
        output_format: "webp",
      }),
    );
    const url = body.data[0]?.url ?? "";
    expect(url).toMatch(/^https:\/\/edge\.test\/v1\/images\/img_[0-9A-Za-z]{24}$/);
    expect(body.data[0]).not.toHaveProperty("b64_json");
    const image = await call(new URL(url).pathname, { token: key });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/webp");
    expect(image.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    const bytes = new Uint8Array(await image.arrayBuffer());
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    expect(image.headers.get("etag")).toBe(`"${hex}"`);
    const again = await call(new URL(url).pathname, {
      token: key,
      headers: { "if-none-match": `"${hex}"` },
    });
    expect(again.status).toBe(304);
  });

  it("moves to the next region when one refuses the connection or answers 503", async () => {
    const refused = installFakeOrigin({ us: refuseConnection });
    const { key } = await tenantWithKey();
    const res = await generate(key, { prompt: "a lighthouse" });
    await generated(res);
    expect(res.headers.get("x-darkroom-region")).toBe("eu");
    expect(refused.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    vi.restoreAllMocks();
    const notReady = installFakeOrigin({ us: answerError(503, "not_ready") });
    const second = await generate(key, { prompt: "a lighthouse" });
    expect(second.headers.get("x-darkroom-region")).toBe("eu");
    expect(notReady.calls.map((c) => c.region)).toEqual(["us", "eu"]);
  });
});
