// The isolate-local key map: short-lived, bounded, never older than KV allows, and purges that stick.
import { describe, expect, it } from "vitest";
import type { AuthContext } from "./key-store";
import { VerifiedKeyCache } from "./verified-key-cache";

const auth = (tenantId: string, keyId = "key_1"): AuthContext => ({
  keyId,
  tenantId,
  expiresAt: null,
  tenant: {
    name: "Acme",
    rateLimitPerMinute: 60,
    maxConcurrency: 2,
    monthlyImageQuota: 100,
    allowedTiers: ["fast"],
    residency: null,
    storePrompts: false,
  },
});

const FAR = Number.MAX_SAFE_INTEGER;

describe("verified key cache", () => {
  it("answers from memory within its TTL and asks again after", () => {
    const cache = new VerifiedKeyCache(30_000);
    cache.remember("h1", auth("ten_a"), FAR, cache.epoch, 1_000);
    expect(cache.lookup("h1", 30_999)?.tenantId).toBe("ten_a");
    expect(cache.lookup("h1", 31_000)).toBeNull();
    expect(cache.size).toBe(0);
  });

  it("never keeps a context past the moment its KV entry would have expired", () => {
    const cache = new VerifiedKeyCache(30_000);
    cache.remember("h1", auth("ten_a"), 10_000, cache.epoch, 1_000);
    expect(cache.lookup("h1", 9_999)).not.toBeNull();
    expect(cache.lookup("h1", 10_000)).toBeNull();
    cache.remember("h2", auth("ten_a"), 1_000, cache.epoch, 1_000);
    expect(cache.lookup("h2", 1_000)).toBeNull();
  });

  it("forgets a revoked key, and drops what a lookup begun before the purge read", () => {
    const cache = new VerifiedKeyCache();
    cache.remember("h1", auth("ten_a"), FAR, cache.epoch, 0);
    const racing = cache.epoch;
    cache.forgetKey("h1");
    expect(cache.lookup("h1", 1)).toBeNull();
    cache.remember("h1", auth("ten_a"), FAR, racing, 2);
    expect(cache.lookup("h1", 3)).toBeNull();
    cache.remember("h1", auth("ten_a"), FAR, cache.epoch, 4);
    expect(cache.lookup("h1", 5)).not.toBeNull();
  });

  it("forgets every key of a tenant whose settings changed, and only those", () => {
    const cache = new VerifiedKeyCache();
    cache.remember("h1", auth("ten_a", "key_1"), FAR, cache.epoch, 0);
    cache.remember("h2", auth("ten_a", "key_2"), FAR, cache.epoch, 0);
    cache.remember("h3", auth("ten_b", "key_3"), FAR, cache.epoch, 0);
    cache.forgetTenant("ten_a");
    expect(cache.lookup("h1", 1)).toBeNull();
    expect(cache.lookup("h2", 1)).toBeNull();
    expect(cache.lookup("h3", 1)?.keyId).toBe("key_3");
  });

  it("stays within its size bound by dropping the oldest entry", () => {
    const cache = new VerifiedKeyCache(30_000, 2);
    for (const hash of ["h1", "h2", "h3"]) cache.remember(hash, auth("ten_a"), FAR, cache.epoch, 0);
    expect(cache.size).toBe(2);
    expect(cache.lookup("h1", 1)).toBeNull();
    expect(cache.lookup("h3", 1)).not.toBeNull();
  });
});
