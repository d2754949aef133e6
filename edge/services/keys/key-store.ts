// API keys: issue, revoke and authenticate, with a short-TTL KV cache (keyed by hash) in front of D1.
import { eq } from "drizzle-orm";
import type { Tier } from "../../../protocol/tiers";
import type { Database } from "../../db/client";
import { type ApiKeyRow, apiKeys, tenants } from "../../db/schema";
import { newId } from "../ids/random-base62";
import { generateKey, hashKey } from "./key-material";

/** KV's minimum expirationTtl; also the bound on how long a revocation may lag in other colos. */
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

export class D1KeyStore implements KeyStore {
  constructor(
    private readonly db: Database,
    private readonly cache: KVNamespace,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly now: () => Date = () => new Date(),
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
    return row;
  }

  async authenticate(key: string): Promise<AuthResult> {
    const hash = await hashKey(key);
    let auth = await this.cache.get<AuthContext>(cacheKey(hash), "json");
    if (!auth) {
      const loaded = await this.load(hash);
      if (!loaded.ok) return loaded;
      auth = loaded.auth;
      // Deferred so the response does not wait on KV. A put racing a revocation can re-cache the
      // key, but only for KEY_CACHE_TTL_S: the bound revocation promises everywhere anyway.
      this.waitUntil(
        this.cache.put(cacheKey(hash), JSON.stringify(auth), { expirationTtl: KEY_CACHE_TTL_S }),
      );
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
