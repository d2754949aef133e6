// A tenant's own blocked terms (D1 safety_terms) for the safety prefilter, cached briefly per isolate.
import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { safetyTerms } from "../../db/schema";
import type { SafetyCategory, TenantSafetyAdditions } from "../../safety";

/** How long a change to a tenant's terms may take to apply in an isolate that has them cached. */
export const SAFETY_TERMS_TTL_MS = 30_000;
const MAX_CACHED_TENANTS = 1_000;

export interface SafetyTermsSource {
  /** Null when the tenant adds nothing to the base policy. */
  additionsFor(tenantId: string): Promise<TenantSafetyAdditions | null>;
}

interface CacheEntry {
  readonly additions: TenantSafetyAdditions | null;
  readonly expiresAt: number;
}

/**
 * Isolate-wide, so it outlives the request: the same additions object comes back on a hit, which
 * is also what lets the prefilter reuse its compiled policy (it caches by object identity).
 */
const cache = new Map<string, CacheEntry>();

/** Drops a tenant's cached additions in this isolate: its next request reads D1 again. */
export function forgetSafetyTerms(tenantId: string): void {
  cache.delete(tenantId);
}

export class D1SafetyTerms implements SafetyTermsSource {
  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async additionsFor(tenantId: string): Promise<TenantSafetyAdditions | null> {
    const at = this.now();
    const hit = cache.get(tenantId);
    if (hit && hit.expiresAt > at) return hit.additions;
    const additions = await this.load(tenantId);
    if (cache.size >= MAX_CACHED_TENANTS) cache.delete(cache.keys().next().value as string);
    cache.delete(tenantId);
    cache.set(tenantId, { additions, expiresAt: at + SAFETY_TERMS_TTL_MS });
    return additions;
  }

  private async load(tenantId: string): Promise<TenantSafetyAdditions | null> {
    const rows = await this.db
      .select({ id: safetyTerms.id, category: safetyTerms.category, term: safetyTerms.term })
      .from(safetyTerms)
      .where(eq(safetyTerms.tenantId, tenantId))
      .orderBy(safetyTerms.id);
    if (rows.length === 0) return null;
    return {
      // The newest row id changes with every added term; the policy version also hashes the terms.
      version: `d1-${rows.at(-1)?.id ?? 0}`,
      // Categories are not checked here on purpose: a bad row makes the prefilter fail closed.
      tenantTerms: rows.map((r) => ({ category: r.category as SafetyCategory, term: r.term })),
    };
  }
}
