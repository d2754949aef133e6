// A flood of random well-formed keys from one address: 429 before D1, while cached keys still pass.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { generateKey } from "../services/keys/key-material";
import { countingKeyReadsDb } from "../test/counting-db";
import { adminCall, callJson, createTenant, type ErrorEnvelope, issueKey } from "../test/harness";

/** A Rate Limiting binding with a small per-key limit, as Cloudflare's answers it within one window. */
function limiter(limit: number): RateLimit & { asked: string[] } {
  const counts = new Map<string, number>();
  const asked: string[] = [];
  return {
    asked,
    async limit({ key }) {
      asked.push(key);
      const used = counts.get(key) ?? 0;
      if (used >= limit) return { success: false };
      counts.set(key, used + 1);
      return { success: true };
    },
  };
}

const randomKey = async () => (await generateKey()).key;

function models(token: string, options: { ip?: string; binding?: RateLimit; db?: D1Database }) {
  const headers: Record<string, string> = options.ip ? { "cf-connecting-ip": options.ip } : {};
  const bindings: Partial<Cloudflare.Env> = { KEY_LOOKUP_LIMIT: options.binding };
  if (options.db) bindings.DB = options.db;
  return callJson<ErrorEnvelope>("/v1/models", { token, headers, bindings });
}

describe("the limit on uncached key lookups per address", () => {
  it("answers 429 with Retry-After once an address is over it, without reading D1", async () => {
    const binding = limiter(3);
    const { db, keyReads } = countingKeyReadsDb();
    const ip = "203.0.113.7";
    for (let i = 0; i < 3; i++) {
      const res = await models(await randomKey(), { ip, binding, db });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("invalid_api_key");
    }
    expect(keyReads()).toBe(3);
    const res = await models(await randomKey(), { ip, binding, db });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(res.body.error).toMatchObject({ code: "rate_limit_exceeded", type: "rate_limit_error" });
    expect(res.body.error.message).toMatch(/too many requests with unrecognised API keys/i);
    expect(keyReads()).toBe(3);
    expect(binding.asked).toEqual([ip, ip, ip, ip]);

    const audit = await adminCall<{ data: Array<Record<string, unknown>> }>(
      "/admin/audit?limit=500",
    );
    const record = audit.body.data.find((r) => r.request_id === res.body.error.request_id);
    expect(record).toMatchObject({ status: 429, error_code: "rate_limit_exceeded", key_id: null });
  });

  it("still admits a cached key from an address that is over it", async () => {
    const binding = limiter(2);
    const ip = "198.51.100.20";
    const { key } = await issueKey((await createTenant()).id);
    expect((await models(key, { ip, binding })).status).toBe(200); // read from D1: counts
    expect((await models(await randomKey(), { ip, binding })).status).toBe(401);
    expect((await models(await randomKey(), { ip, binding })).status).toBe(429);
    const asked = binding.asked.length;
    expect((await models(key, { ip, binding })).status).toBe(200);
    expect(binding.asked).toHaveLength(asked);
  });

  it("limits only requests with cf-connecting-ip and a configured binding, per address", async () => {
    const binding = limiter(1);
    const ip = "192.0.2.55";
    expect((await models(await randomKey(), { ip, binding })).status).toBe(401);
    expect((await models(await randomKey(), { ip, binding })).status).toBe(429);
    const unlimited = [
      { binding }, // no cf-connecting-ip: wrangler dev, tests, the benches
      { ip }, // the binding not configured
      { ip: "192.0.2.56", binding }, // another address
    ];
    for (const options of unlimited) {
      expect((await models(await randomKey(), options)).status).toBe(401);
    }
    expect(binding.asked).toEqual([ip, ip, "192.0.2.56"]);
  });

  it("uses the runtime's binding from wrangler.toml, which admits an address's first lookup", async () => {
    const real = env.KEY_LOOKUP_LIMIT;
    expect(real).toBeDefined();
    const asked: string[] = [];
    const watched: RateLimit = {
      limit: (options) => {
        asked.push(options.key);
        return real!.limit(options);
      },
    };
    const res = await models(await randomKey(), { ip: "2001:db8::1", binding: watched });
    expect(res.status).toBe(401);
    expect(asked).toEqual(["2001:db8::1"]);
  });
});
