// The key store against real D1 and KV: a revocation no racing lookup undoes, and tenant purges that touch live keys only.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../db/client";
import { createTenant } from "../../test/harness";
import {
  D1KeyStore,
  KEY_CACHE_TTL_S,
  REVOKED_MARKER_TTL_S,
  TENANT_PURGE_CHUNK,
  TENANT_PURGE_MAX_KEYS,
} from "./key-store";
import { VerifiedKeyCache } from "./verified-key-cache";

afterEach(() => vi.restoreAllMocks());

interface WatchedKv {
  kv: KVNamespace;
  /** Every key deleted, in order. */
  deleted: string[];
  /** The most deletes that were in flight at once. */
  maxDeletesInFlight: number;
  /** Lets the held puts through. */
  release: () => void;
}

/** env.KEYS_CACHE that holds puts of `heldKey` until `release`, notes deletes, and may fail them. */
function watchedKv(options: { heldKey?: string; failDeletes?: boolean } = {}): WatchedKv {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let inFlight = 0;
  const watched: WatchedKv = { kv: env.KEYS_CACHE, deleted: [], maxDeletesInFlight: 0, release };
  const put = async (...args: Parameters<KVNamespace["put"]>) => {
    if (args[0] === options.heldKey) await released;
    return env.KEYS_CACHE.put(...args);
  };
  const remove = async (key: string) => {
    watched.deleted.push(key);
    watched.maxDeletesInFlight = Math.max(watched.maxDeletesInFlight, ++inFlight);
    try {
      if (options.failDeletes) throw new Error("KV DELETE failed: 429 Too Many Requests");
      return await env.KEYS_CACHE.delete(key);
    } finally {
      inFlight--;
    }
  };
  watched.kv = new Proxy(env.KEYS_CACHE, {
    get(target, prop) {
      if (prop === "put") return put;
      if (prop === "delete") return remove;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return watched;
}

/** A key store as one isolate has it: its own map of verified keys, in front of the shared KV and D1. */
function isolate(
  options: { kv?: KVNamespace; deferred?: Promise<unknown>[]; now?: () => Date } = {},
) {
  const deferred = options.deferred ?? [];
  return new D1KeyStore(
    openDatabase(env.DB),
    options.kv ?? env.KEYS_CACHE,
    (p) => deferred.push(p),
    options.now,
    new VerifiedKeyCache(),
  );
}

/** A lookup misses KV, reads the live key from D1, and its deferred KV put is held. */
async function lookupBeforeRevocation() {
  const store = isolate();
  const { row, key } = await store.issue((await createTenant()).id, {
    name: null,
    expiresAt: null,
  });
  const gate = watchedKv({ heldKey: `apikey:${row.hash}` });
  const deferred: Promise<unknown>[] = [];
  const racing = isolate({ kv: gate.kv, deferred });
  expect((await racing.authenticate(key)).ok).toBe(true);
  /** Lets the racing lookup's put land: after whatever has happened meanwhile. */
  const landPut = async () => {
    gate.release();
    await Promise.all(deferred);
  };
  return { row, key, racing, landPut };
}

describe("a revoked key", () => {
  it.each([
    ["in the isolate whose lookup raced it", true],
    ["in every other isolate", false],
  ])(
    "is refused %s, though a lookup that read D1 before the revocation puts it in KV after",
    async (_label, sameIsolate) => {
      const { row, key, racing, landPut } = await lookupBeforeRevocation();
      const revoking = sameIsolate ? racing : isolate();
      await revoking.revoke(row.id);
      await landPut();
      expect(await env.KEYS_CACHE.get(`apikey:${row.hash}`)).not.toBeNull();
      const reader = sameIsolate ? racing : isolate();
      expect(await reader.authenticate(key)).toEqual({ ok: false, reason: "revoked" });
    },
  );

  it("stays refused once the revocation's marker has expired: the late entry is too old by then", async () => {
    const { row, key, landPut } = await lookupBeforeRevocation();
    await isolate().revoke(row.id);
    await landPut();
    await env.KEYS_CACHE.delete(`apikey-revoked:${row.hash}`); // as if REVOKED_MARKER_TTL_S passed
    const later = () => new Date(Date.now() + REVOKED_MARKER_TTL_S * 1000);
    expect(await isolate({ now: later }).authenticate(key)).toEqual({
      ok: false,
      reason: "revoked",
    });
  });

  it("lets other isolates trust a KV entry until KEY_CACHE_TTL_S after its D1 read", async () => {
    const store = isolate();
    const { row, key } = await store.issue((await createTenant()).id, {
      name: null,
      expiresAt: null,
    });
    const deferred: Promise<unknown>[] = [];
    await isolate({ deferred }).authenticate(key);
    await Promise.all(deferred);
    // Revoked in D1 behind the store's back: only a lookup that reads D1 can tell.
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?")
      .bind(Date.now(), row.id)
      .run();
    const at = (s: number) => () => new Date(Date.now() + s * 1000);
    expect(await isolate({ now: at(KEY_CACHE_TTL_S - 5) }).authenticate(key)).toMatchObject({
      ok: true,
      auth: { keyId: row.id },
    });
    expect(await isolate({ now: at(KEY_CACHE_TTL_S + 1) }).authenticate(key)).toEqual({
      ok: false,
      reason: "revoked",
    });
  });
});

describe("purging a tenant's cached keys", () => {
  it("deletes the KV entries of live keys only, not of revoked or expired ones", async () => {
    const store = isolate();
    const tenantId = (await createTenant()).id;
    const issue = (expiresAt: Date | null = null) =>
      store.issue(tenantId, { name: null, expiresAt });
    const live = await issue();
    const expiring = await issue(new Date(Date.now() + 3_600_000));
    await issue(new Date(Date.now() - 1_000)); // expired
    for (let i = 0; i < 3; i++) await store.revoke((await issue()).row.id);
    const watched = watchedKv();
    await isolate({ kv: watched.kv }).forgetTenant(tenantId);
    expect(watched.deleted.sort()).toEqual(
      [`apikey:${live.row.hash}`, `apikey:${expiring.row.hash}`].sort(),
    );
  });

  it("deletes in bounded chunks, and at most TENANT_PURGE_MAX_KEYS in one request", async () => {
    const tenantId = (await createTenant()).id;
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO api_keys (id, tenant_id, prefix, hash, created_at)
       SELECT 'key_bulk_' || i, ?, 'drk_bulk', ? || i, 0 FROM n`,
    )
      .bind(TENANT_PURGE_MAX_KEYS + 20, tenantId, `bulk-${tenantId}-`)
      .run();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const watched = watchedKv();
    await isolate({ kv: watched.kv }).forgetTenant(tenantId);
    expect(watched.deleted).toHaveLength(TENANT_PURGE_MAX_KEYS);
    expect(watched.maxDeletesInFlight).toBeLessThanOrEqual(TENANT_PURGE_CHUNK);
    expect(warn).toHaveBeenCalledOnce();
  });

  it("logs a failed purge instead of failing the tenant change that is already saved", async () => {
    const store = isolate();
    const tenantId = (await createTenant()).id;
    await store.issue(tenantId, { name: null, expiresAt: null });
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const watched = watchedKv({ failDeletes: true });
    await expect(isolate({ kv: watched.kv }).forgetTenant(tenantId)).resolves.toBeUndefined();
    expect(watched.deleted).toHaveLength(1);
    expect(error).toHaveBeenCalledOnce();
    expect(String(error.mock.calls[0]?.[0])).toContain(tenantId);
  });
});
