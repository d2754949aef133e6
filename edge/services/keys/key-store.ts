// API keys: issue, revoke and authenticate through an isolate-local map, then a short-TTL KV cache, then D1.
import { and, eq, gt, isNull, or } from "drizzle-orm";
import type { Tier } from "../../../protocol/tiers";
import type { Database } from "../../db/client";
import { type ApiKeyRow, apiKeys, tenants } from "../../db/schema";
import { newId } from "../ids/random-base62";
import { generateKey, hashKey } from "./key-material";
import { isolateVerifiedKeys, type VerifiedKeyCache } from "./verified-key-cache";

/** KV's minimum expirationTtl; also the bound on how long a revocation may lag in other isolates. */
export const KEY_CACHE_TTL_S = 60;
/**
 * How long a revocation's marker stays in KV. A KV entry counts only within KEY_CACHE_TTL_S of its
 * D1 read, and an entry a racing lookup puts back read D1 before the revocation, so the marker
 * outlives every such entry; twice the TTL leaves room for clock skew between machines.
 */
export const REVOKED_MARKER_TTL_S = 2 * KEY_CACHE_TTL_S;
/** KV deletes in flight at once while purging a tenant's keys. */
export const TENANT_PURGE_CHUNK = 50;
/** Keys one tenant purge deletes at most: Workers allow about 1,000 KV operations per invocation. */
export const TENANT_PURGE_MAX_KEYS = 500;

/** What a request learns from its key: JSON-safe, because it is what the KV cache holds. */
export interface AuthContext {
  keyId: string;
  tenantId: string;
  /** Epoch ms, or null for a key that never expires. */
  expiresAt: number | null;
  tenant: {
    name: string;
    rateLimitPerMinute: number;
    maxConcurrency: number;
    monthlyImageQuota: number;
    allowedTiers: Tier[];
    residency: string | null;
    storePrompts: boolean;
  };
}

export type AuthResult =
  | { ok: true; auth: AuthContext }
  | { ok: false; reason: "unknown" | "revoked" | "expired" }
  /** The key is in neither cache and the caller's guard refused the D1 read: nothing was learnt. */
  | { ok: false; reason: "lookup_limited" };

/**
 * Asked once before a key that no cache knows is read from D1; false refuses that read. Random
 * well-formed keys miss both caches every time (unknown keys are never cached), so this is the one
 * place a flood of them can be stopped before it reaches D1, while cached keys never ask.
 */
export type LookupGuard = () => Promise<boolean>;

export interface IssuedKey {
  row: ApiKeyRow;
  /** Plaintext, shown to the caller once. */
  key: string;
}

export interface KeyStore {
  issue(
    tenantId: string,
    options: { name: string | null; expiresAt: Date | null },
  ): Promise<IssuedKey>;
  /** Null when no such key. Revoking twice keeps the first revocation time. */
  revoke(keyId: string): Promise<ApiKeyRow | null>;
  /** `lookupAllowed` is asked only when the key would be read from D1 (no cache holds it). */
  authenticate(key: string, lookupAllowed?: LookupGuard): Promise<AuthResult>;
  /** Drops cached auth for every live key of a tenant, so changed limits apply at once. Never
   *  throws: the change is already saved, so a failed purge is logged and the cache TTL bounds it. */
  forgetTenant(tenantId: string): Promise<void>;
}

const cacheKey = (hash: string) => `apikey:${hash}`;
const revokedKey = (hash: string) => `apikey-revoked:${hash}`;

/** The KV value: the context plus when it was read from D1 (an entry from older code, without
 *  it, counts as a miss). */
type CachedAuth = AuthContext & { loadedAtMs?: number };
/** The value under `revokedKey`: that key was revoked within REVOKED_MARKER_TTL_S. */
type RevokedMarker = { revoked: true };

export class D1KeyStore implements KeyStore {
  constructor(
    private readonly db: Database,
    private readonly cache: KVNamespace,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly now: () => Date = () => new Date(),
    private readonly verified: VerifiedKeyCache = isolateVerifiedKeys,
  ) {}

  async issue(tenantId: string, options: { name: string | null; expiresAt: Date | null }) {
    const material = await generateKey();
    const row: ApiKeyRow = {
      id: newId("key"),
      tenantId,
      name: options.name,
      prefix: material.prefix,
      hash: material.hash,
      createdAt: this.now(),
      expiresAt: options.expiresAt,
      revokedAt: null,
    };
    await this.db.insert(apiKeys).values(row);
    return { row, key: material.key };
  }

  async revoke(keyId: string): Promise<ApiKeyRow | null> {
    const existing = await this.db.query.apiKeys.findFirst({ where: eq(apiKeys.id, keyId) });
    if (!existing) return null;
    let row = existing;
    if (!existing.revokedAt) {
      const updated = await this.db
        .update(apiKeys)
        .set({ revokedAt: this.now() })
        .where(eq(apiKeys.id, keyId))
        .returning();
      row = updated[0] ?? existing;
    }
    // Awaited, not deferred: the revocation must be in force when the admin call returns. A lookup
    // that read the key from D1 just before the update may still put it back into KV after the
    // delete (its put is deferred, and KV has no compare-and-set), so the marker goes in first:
    // while it lives, every lookup that reads KV believes it over the entry (see `fetch`).
    const marker: RevokedMarker = { revoked: true };
    await this.cache.put(revokedKey(existing.hash), JSON.stringify(marker), {
      expirationTtl: REVOKED_MARKER_TTL_S,
    });
    await this.cache.delete(cacheKey(existing.hash));
    this.verified.forgetKey(existing.hash);
    return row;
  }

  async authenticate(key: string, lookupAllowed?: LookupGuard): Promise<AuthResult> {
    const hash = await hashKey(key);
    let auth = this.verified.lookup(hash, this.now().getTime());
    if (!auth) {
      const fetched = await this.fetch(hash, lookupAllowed);
      if (!fetched.ok) return fetched;
      auth = fetched.auth;
    }
    if (auth.expiresAt !== null && auth.expiresAt <= this.now().getTime()) {
      return { ok: false, reason: "expired" };
    }
    return { ok: true, auth };
  }

  async forgetTenant(tenantId: string): Promise<void> {
    try {
      await this.purgeTenantKeys(tenantId);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          msg: `key cache purge failed; the tenant's change reaches every key within ${KEY_CACHE_TTL_S} s`,
          tenant_id: tenantId,
          message: error instanceof Error ? error.message : String(error),
        }),
      );
    }
    // After the KV deletes: a lookup here that read KV before them cannot keep what it read.
    this.verified.forgetTenant(tenantId);
  }

  /** Live keys only: a revoked key's entry is ignored (`fetch`), an expired key refused whatever is cached. */
  private async purgeTenantKeys(tenantId: string): Promise<void> {
    const k = apiKeys;
    const live = and(isNull(k.revokedAt), or(isNull(k.expiresAt), gt(k.expiresAt, this.now())));
    const rows = await this.db
      .select({ hash: k.hash })
      .from(k)
      .where(and(eq(k.tenantId, tenantId), live))
      .limit(TENANT_PURGE_MAX_KEYS + 1);
    if (rows.length > TENANT_PURGE_MAX_KEYS) {
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: `tenant has more than ${TENANT_PURGE_MAX_KEYS} live keys; the rest follow within ${KEY_CACHE_TTL_S} s`,
          tenant_id: tenantId,
        }),
      );
    }
    const hashes = rows.slice(0, TENANT_PURGE_MAX_KEYS).map((r) => r.hash);
    for (let i = 0; i < hashes.length; i += TENANT_PURGE_CHUNK) {
      const chunk = hashes.slice(i, i + TENANT_PURGE_CHUNK);
      await Promise.all(chunk.map((hash) => this.cache.delete(cacheKey(hash))));
    }
  }

  /** KV, then D1. Whatever either says is remembered in this isolate unless a purge intervened. */
  private async fetch(hash: string, lookupAllowed?: LookupGuard): Promise<AuthResult> {
    const epoch = this.verified.epoch;
    const startedMs = this.now().getTime();
    // One KV round trip reads the entry and the revocation marker together.
    const found = await this.cache.get<CachedAuth | RevokedMarker>(
      [cacheKey(hash), revokedKey(hash)],
      "json",
    );
    if (found.get(revokedKey(hash))) return { ok: false, reason: "revoked" };
    const cached = found.get(cacheKey(hash));
    const nowMs = this.now().getTime();
    if (cached && !("revoked" in cached) && cached.loadedAtMs !== undefined) {
      const { loadedAtMs, ...auth } = cached;
      // Believed no longer than KEY_CACHE_TTL_S after its D1 read, however late it was put: so the
      // revocation marker outlives any entry a lookup that raced the revocation put back.
      const staleAtMs = loadedAtMs + KEY_CACHE_TTL_S * 1000;
      if (nowMs < staleAtMs) {
        this.verified.remember(hash, auth, staleAtMs, epoch, nowMs);
        return { ok: true, auth };
      }
    }
    if (lookupAllowed && !(await lookupAllowed())) return { ok: false, reason: "lookup_limited" };
    const loaded = await this.load(hash);
    if (!loaded.ok || epoch !== this.verified.epoch) return loaded;
    // Deferred so the response does not wait on KV. If a revocation commits after the D1 read, this
    // put may land after its delete: the revocation's marker makes every lookup ignore it.
    const value: CachedAuth = { ...loaded.auth, loadedAtMs: startedMs };
    this.waitUntil(
      this.cache.put(cacheKey(hash), JSON.stringify(value), { expirationTtl: KEY_CACHE_TTL_S }),
    );
    const staleAtMs = startedMs + KEY_CACHE_TTL_S * 1000;
    this.verified.remember(hash, loaded.auth, staleAtMs, epoch, this.now().getTime());
    return loaded;
  }

  /** A revoked key is never cached from here; one a racing lookup puts back is ignored (`revoke`). */
  private async load(hash: string): Promise<AuthResult> {
    const rows = await this.db
      .select({ key: apiKeys, tenant: tenants })
      .from(apiKeys)
      .innerJoin(tenants, eq(apiKeys.tenantId, tenants.id))
      .where(eq(apiKeys.hash, hash))
      .limit(1);
    const row = rows[0];
    if (!row) return { ok: false, reason: "unknown" };
    if (row.key.revokedAt) return { ok: false, reason: "revoked" };
    const { tenant } = row;
    return {
      ok: true,
      auth: {
        keyId: row.key.id,
        tenantId: tenant.id,
        expiresAt: row.key.expiresAt?.getTime() ?? null,
        tenant: {
          name: tenant.name,
          rateLimitPerMinute: tenant.rateLimitPerMinute,
          maxConcurrency: tenant.maxConcurrency,
          monthlyImageQuota: tenant.monthlyImageQuota,
          allowedTiers: tenant.allowedTiers,
          residency: tenant.residency,
          storePrompts: tenant.storePrompts,
        },
      },
    };
  }
}
