// An isolate-local map of recently verified keys in front of KV: short-lived, bounded, purged on revocation.
import type { AuthContext } from "./key-store";

/** How long one isolate trusts a verified key without asking KV again. */
export const VERIFIED_KEY_TTL_MS = 30_000;
/** Enough for every active key of a busy isolate; the oldest entry goes first when full. */
export const MAX_VERIFIED_KEYS = 10_000;

interface Entry {
  readonly auth: AuthContext;
  readonly tenantId: string;
  readonly expiresAtMs: number;
}

/**
 * Lookups by key hash. An entry never outlives `staleBeforeMs`, the moment its auth context read from
 * D1 turns as old as the KV cache may be, so this layer never lengthens how long a revocation may
 * lag in other isolates. A purge (revocation, tenant change) bumps the epoch: a lookup that began
 * before it cannot store what it read afterwards, so a racing request cannot undo the purge here.
 */
export class VerifiedKeyCache {
  private readonly entries = new Map<string, Entry>();
  private purges = 0;

  constructor(
    private readonly ttlMs = VERIFIED_KEY_TTL_MS,
    private readonly maxEntries = MAX_VERIFIED_KEYS,
  ) {}

  /** Taken before a KV or D1 read; hand it back to `remember`. */
  get epoch(): number {
    return this.purges;
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(hash: string, nowMs: number): AuthContext | null {
    const entry = this.entries.get(hash);
    if (!entry) return null;
    if (entry.expiresAtMs > nowMs) return entry.auth;
    this.entries.delete(hash);
    return null;
  }

  /** Stores unless a purge happened since `epoch` or the context is already too old to keep. */
  remember(hash: string, auth: AuthContext, staleAtMs: number, epoch: number, nowMs: number) {
    if (epoch !== this.purges) return;
    const expiresAtMs = Math.min(nowMs + this.ttlMs, staleAtMs);
    if (expiresAtMs <= nowMs) return;
    this.entries.delete(hash);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(hash, { auth, tenantId: auth.tenantId, expiresAtMs });
  }

  forgetKey(hash: string): void {
    this.purges++;
    this.entries.delete(hash);
  }

  forgetTenant(tenantId: string): void {
    this.purges++;
    for (const [hash, entry] of this.entries) {
      if (entry.tenantId === tenantId) this.entries.delete(hash);
    }
  }
}

/** One per isolate: module state outlives the request, which is the point. */
export const isolateVerifiedKeys = new VerifiedKeyCache();
