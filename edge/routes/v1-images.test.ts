// GET /v1/images/{image_id}: the owner's bytes with content type, ETag (content hash) and caching; 304; 404 for others.
import { afterEach, describe, expect, it, vi } from "vitest";
import { installFakeOrigin } from "../test/fake-origin";
import { generate, tenantWithKey } from "../test/generation";
import { call } from "../test/harness";
import type { ImagesResponse } from "./v1-images-generations-schema";

afterEach(() => vi.restoreAllMocks());

async function urlImage(key: string, fields: Record<string, unknown> = {}) {
  const res = await generate(key, { prompt: "a fox", response_format: "url", seed: 9, ...fields });
  const body = (await res.json()) as ImagesResponse;
  return new URL(body.data[0]?.url ?? "").pathname;
}

async function sha256Hex(bytes: ArrayBuffer) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("GET /v1/images/{image_id}", () => {
  it("serves the bytes with their content type, their SHA-256 as ETag, and long private caching", async () => {
    installFakeOrigin();
    const { key } = await tenantWithKey();
    const path = await urlImage(key, { output_format: "webp" });
    const res = await call(path, { token: key });
    expect(res.status).toBe(200);
    const bytes = await res.arrayBuffer();
    expect(res.headers.get("content-type")).toBe("image/webp");
    expect(res.headers.get("etag")).toBe(`"${await sha256Hex(bytes)}"`);
    expect(res.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect(res.headers.get("content-length")).toBe(String(bytes.byteLength));
  });

  it("answers 304 with no body for a matching If-None-Match, weak or in a list, and 200 otherwise", async () => {
    installFakeOrigin();
    const { key } = await tenantWithKey();
    const path = await urlImage(key);
    const etag = (await call(path, { token: key })).headers.get("etag") ?? "";
    for (const header of [etag, `W/${etag}`, `"nope", ${etag}`, "*"]) {
      const res = await call(path, { token: key, headers: { "if-none-match": header } });
      expect(res.status, header).toBe(304);
      expect(res.headers.get("etag")).toBe(etag);
      expect(await res.text()).toBe("");
    }
    const stale = await call(path, { token: key, headers: { "if-none-match": '"other"' } });
    expect(stale.status).toBe(200);
  });

  it("gives the same bytes the same id, and another tenant 404 for an id it never stored", async () => {
    installFakeOrigin();
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    const first = await urlImage(a.key);
    expect(await urlImage(a.key)).toBe(first);
    const other = await urlImage(a.key, { seed: 10 });
    expect(other).not.toBe(first);
    expect((await call(other, { token: a.key })).status).toBe(200);
    const res = await call(other, { token: b.key });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });
});
