// API keys: issue, revoke and authenticate through an isolate-local map, then a short-TTL KV cache, then D1.
import { eq } from "drizzle-orm";
import type { Tier } from "../../../protocol/tiers";
import type { Database } from "../../db/client";
import { type ApiKeyRow, apiKeys, tenants } from "../../db/schema";
import { newId } from "../ids/random-base62";
import { generateKey, hashKey } from "./key-material";
import { isolateVerifiedKeys, type VerifiedKeyCache } from "./verified-key-cache";

/** KV's minimum expirationTtl; also the bound on how long a revocation may lag in other isolates. */
export const KEY_CACHE_TTL_S = 60;

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
  | { ok: false; reason: "unknown" | "revoked" | "expired" };

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
  authenticate(key: string): Promise<AuthResult>;
  /** Drops cached auth for every key of a tenant, so changed limits apply at once. */
  forgetTenant(tenantId: string): Promise<void>;
}

const cacheKey = (hash: string) => `apikey:${hash}`;

/** The KV value: the context plus when it was read from D1 (absent in entries from older code). */
type CachedAuth = AuthContext & { loadedAtMs?: number };

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
    // Awaited, not deferred: the revocation must be in force when the admin call returns.
    await this.cache.delete(cacheKey(existing.hash));
    this.verified.forgetKey(existing.hash);
    return row;
  }

  async authenticate(key: string): Promise<AuthResult> {
    const hash = await hashKey(key);
    let auth = this.verified.lookup(hash, this.now().getTime());
    if (!auth) {
      const fetched = await this.fetch(hash);
      if (!fetched.ok) return fetched;
      auth = fetched.auth;
    }
    if (auth.expiresAt !== null && auth.expiresAt <= this.now().getTime()) {
      return { ok: false, reason: "expired" };
    }
    return { ok: true, auth };
  }

  async forgetTenant(tenantId: string): Promise<void> {
    const rows = await this.db
      .select({ hash: apiKeys.hash })
      .from(apiKeys)
      .where(eq(apiKeys.tenantId, tenantId));
    await Promise.all(rows.map((r) => this.cache.delete(cacheKey(r.hash))));
    this.verified.forgetTenant(tenantId);
  }

  /** KV, then D1. Whatever either says is remembered in this isolate unless a purge intervened. */
  private async fetch(hash: string): Promise<AuthResult> {
    const epoch = this.verified.epoch;
    const startedMs = this.now().getTime();
    const cached = await this.cache.get<CachedAuth>(cacheKey(hash), "json");
    if (cached) {
      const { loadedAtMs, ...auth } = cached;
      // Kept no longer than the KV entry itself could be: the cross-isolate bound stays KV's.
      const staleAtMs = (loadedAtMs ?? 0) + KEY_CACHE_TTL_S * 1000;
      this.verified.remember(hash, auth, staleAtMs, epoch, this.now().getTime());
      return { ok: true, auth };
    }
    const loaded = await this.load(hash);
    if (!loaded.ok || epoch !== this.verified.epoch) return loaded;
    // Deferred so the response does not wait on KV. A put racing a revocation in another isolate can
    // re-cache the key, but only for KEY_CACHE_TTL_S: the bound revocation promises everywhere.
    const value: CachedAuth = { ...loaded.auth, loadedAtMs: startedMs };
    this.waitUntil(
      this.cache.put(cacheKey(hash), JSON.stringify(value), { expirationTtl: KEY_CACHE_TTL_S }),
    );
    const staleAtMs = startedMs + KEY_CACHE_TTL_S * 1000;
    this.verified.remember(hash, loaded.auth, staleAtMs, epoch, this.now().getTime());
    return loaded;
  }

  /** Revoked keys are never cached, so a cache hit is always a live key. */
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
