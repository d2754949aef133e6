// The bad-input table through the whole Worker: every case gets its documented 4xx in the error shape, none a 5xx.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ACCESS_CASES } from "./test/bad-input-access-cases";
import { type BadCase, type Caller, GEN } from "./test/bad-input-case";
import { FORM_CASES } from "./test/bad-input-form-cases";
import { REQUEST_CASES } from "./test/bad-input-request-cases";
import { VALUE_CASES } from "./test/bad-input-value-cases";
import { expectConformant } from "./test/conformance";
import { FAKE_ORIGIN_BINDINGS, installFakeOrigin } from "./test/fake-origin";
import { generate, tenantWithKey } from "./test/generation";
import { ADMIN_TOKEN, adminCall, call, type ErrorEnvelope, issueKey } from "./test/harness";

const BAD_CASES: BadCase[] = [...FORM_CASES, ...VALUE_CASES, ...REQUEST_CASES, ...ACCESS_CASES].map(
  (c) => ({ path: GEN, ...c }),
);

let keys: Record<"key" | "fast_only" | "revoked", string>;
let origin: ReturnType<typeof installFakeOrigin>;

beforeAll(async () => {
  origin = installFakeOrigin();
  const full = await tenantWithKey();
  const fastOnly = await tenantWithKey({ allowed_tiers: ["fast"] });
  const revoked = await issueKey(full.tenantId);
  await adminCall(`/admin/keys/${revoked.id}`, { method: "DELETE" });
  keys = { key: full.key, fast_only: fastOnly.key, revoked: revoked.key };
});

afterAll(() => vi.restoreAllMocks());

function authorization(caller: Caller): string | null {
  if (caller === "none") return null;
  if (caller === "admin") return `Bearer ${ADMIN_TOKEN}`;
  if (typeof caller === "object") return caller.raw;
  return `Bearer ${keys[caller]}`;
}

function send(c: BadCase): Promise<Response> {
  const headers = new Headers();
  const auth = authorization(c.caller ?? "key");
  if (auth !== null) headers.set("authorization", auth);
  const explicitType = c.headers?.some(([name]) => name.toLowerCase() === "content-type");
  const body =
    typeof c.body === "function"
      ? c.body()
      : (c.body ?? (c.json === undefined ? undefined : JSON.stringify(c.json)));
  if (body !== undefined && !explicitType && c.headers?.length !== 0) {
    headers.set("content-type", "application/json");
  }
  for (const [name, value] of c.headers ?? []) headers.append(name, value);
  return call(c.path ?? "/", {
    method: c.method ?? "POST",
    headers,
    body,
    bindings: FAKE_ORIGIN_BINDINGS,
  });
}

describe("bad input", () => {
  it("has at least 100 distinct named cases", () => {
    expect(BAD_CASES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(BAD_CASES.map((c) => c.name)).size).toBe(BAD_CASES.length);
  });

  it.each(BAD_CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const res = await send(c);
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).toBe(c.status);
    const body = JSON.parse(text) as ErrorEnvelope;
    expectConformant("ErrorResponse", body);
    expect(body.error.code).toBe(c.code);
    expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
    if (c.param !== undefined) expect(body.error.param).toBe(c.param);
    expect(text).not.toMatch(/\n\s+at /);
  });

  it("reached no origin, and the Worker still serves a good request afterwards", async () => {
    expect(origin.calls).toHaveLength(0);
    expect((await call("/healthz")).status).toBe(200);
    const res = await generate(keys.key, { prompt: "'; DROP TABLE tenants; -- a lighthouse" });
    expect(res.status).toBe(200);
    expect(origin.calls).toHaveLength(1);
    expect((await adminCall("/admin/audit?limit=1")).status).toBe(200);
  });
});
