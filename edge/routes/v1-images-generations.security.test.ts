// Safety before any cost, per-tenant safety terms, tenant isolation of images and usage, audit of rejections.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../db/client";
import { safetyTerms } from "../db/schema";
import { expectConformant } from "../test/conformance";
import { installFakeOrigin } from "../test/fake-origin";
import { generate, tenantWithKey, usageOf } from "../test/generation";
import { adminCall, call, type ErrorEnvelope } from "../test/harness";
import type { ImagesResponse } from "./v1-images-generations-schema";

afterEach(() => vi.restoreAllMocks());

interface AuditRecord {
  request_id: string;
  status: number;
  error_code: string | null;
  tenant_id: string | null;
  tier: string | null;
  safety_decision: string | null;
  safety_category: string | null;
  policy_version: string | null;
  prompt_sha256: string | null;
}

async function auditRecord(requestId: string): Promise<AuditRecord | undefined> {
  const page = await adminCall<{ data: AuditRecord[] }>("/admin/audit?limit=500");
  return page.body.data.find((r) => r.request_id === requestId);
}

describe("safety prefilter", () => {
  it("rejects before any reservation, rate-limit count or origin call", async () => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey({ rate_limit_per_minute: 2 });
    for (const prompt of ["a nude woman on a beach", "a n\u200Bude woman", "n\u0430ked man"]) {
      const res = await generate(key, { prompt, n: 4 });
      expect(res.status).toBe(400);
      const body = (await res.json()) as ErrorEnvelope;
      expectConformant("ErrorResponse", body);
      expect(body.error).toMatchObject({ code: "content_policy_violation", param: "prompt" });
    }
    expect(origin.spy).not.toHaveBeenCalled();
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0, in_flight: 0 });
    // Both attempts of the limit of 2 are still there: rejected prompts did not count.
    const ok = [await generate(key, { prompt: "a fox" }), await generate(key, { prompt: "a fox" })];
    expect(ok.map((r) => r.status)).toEqual([200, 200]);
  });

  it("audits the rejection with decision, category and policy version", async () => {
    installFakeOrigin();
    const { key, tenantId } = await tenantWithKey();
    await generate(key, { prompt: "hardcore porn" }, { headers: { "x-request-id": "sfty-1" } });
    expect(await auditRecord("sfty-1")).toMatchObject({
      status: 400,
      error_code: "content_policy_violation",
      tenant_id: tenantId,
      tier: "quality",
      safety_decision: "reject",
      safety_category: "sexual",
      policy_version: expect.stringMatching(/\S/),
      prompt_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("applies a tenant's own D1 terms to that tenant only", async () => {
    const origin = installFakeOrigin();
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    await openDatabase(env.DB)
      .insert(safetyTerms)
      .values({ tenantId: a.tenantId, category: "tenant_custom", term: "bluebird" });
    const rejected = await generate(
      a.key,
      { prompt: "a Bluebird logo" },
      { headers: { "x-request-id": "tt-a" } },
    );
    expect(rejected.status).toBe(400);
    expect((await generate(b.key, { prompt: "a Bluebird logo" })).status).toBe(200);
    expect(origin.calls.map((c) => c.body.tenant_id)).toEqual([b.tenantId]);
    const record = await auditRecord("tt-a");
    expect(record).toMatchObject({ safety_category: "tenant_custom" });
    expect(record?.policy_version).toContain("+d1-");
  });
});

describe("tenant isolation", () => {
  it("serves an image to its tenant only: another tenant gets 404, as for an unknown id", async () => {
    installFakeOrigin();
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    const res = await generate(a.key, { prompt: "a lighthouse", response_format: "url" });
    const url = ((await res.json()) as ImagesResponse).data[0]?.url ?? "";
    const path = new URL(url).pathname;
    expect((await call(path, { token: a.key })).status).toBe(200);
    const foreign = await call(path, { token: b.key });
    const unknown = await call("/v1/images/img_000000000000000000000000", { token: a.key });
    expect([foreign.status, unknown.status]).toEqual([404, 404]);
    const [foreignBody, unknownBody] = [
      (await foreign.json()) as ErrorEnvelope,
      (await unknown.json()) as ErrorEnvelope,
    ];
    expect(foreignBody.error.message).toBe(unknownBody.error.message);
    expect((await call(path)).status).toBe(401);
  });

  it("keeps usage per tenant", async () => {
    installFakeOrigin();
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    await generate(a.key, { prompt: "a lighthouse", n: 2 });
    expect((await usageOf(a.key)).images_used).toBe(2);
    expect((await usageOf(b.key)).images_used).toBe(0);
  });
});

describe("audit of rejected requests", () => {
  it.each([
    ["auth", {}, 401, "missing_api_key"],
    ["validation", { json: { prompt: "a fox", n: 9 } }, 400, "invalid_request"],
    ["tier", { json: { prompt: "a fox", tier: "fast" } }, 403, "tier_not_allowed"],
  ])("records a %s rejection", async (label, options, status, code) => {
    const { key, tenantId } = await tenantWithKey({ allowed_tiers: ["quality"] });
    const id = `rej-${label}`;
    await call("/v1/images/generations", {
      token: label === "auth" ? undefined : key,
      json: { prompt: "a fox" },
      ...options,
      headers: { "x-request-id": id },
    });
    expect(await auditRecord(id)).toMatchObject({
      status,
      error_code: code,
      tenant_id: label === "auth" ? null : tenantId,
    });
  });

  it("records a limit rejection with its tier and safety verdict", async () => {
    installFakeOrigin();
    const { key } = await tenantWithKey({ monthly_image_quota: 0 });
    await generate(
      key,
      { prompt: "a fox", quality: "low" },
      { headers: { "x-request-id": "rej-q" } },
    );
    expect(await auditRecord("rej-q")).toMatchObject({
      status: 429,
      error_code: "insufficient_quota",
      tier: "fast",
      safety_decision: "allow",
    });
  });
});
