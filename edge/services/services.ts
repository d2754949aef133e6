// The per-request service container the init middleware puts in `c.var.services`; no hono here.
import { openDatabase } from "../db/client";
import { type AuditLog, D1AuditLog } from "./audit/audit-log";
import { D1IdempotencyStore, type IdempotencyStore } from "./idempotency/idempotency-store";
import { type ImageStore, R2ImageStore } from "./images/image-store";
import { D1KeyStore, type KeyStore } from "./keys/key-store";
import { parseOrigins } from "./origins/origin-config";
import { OriginDispatcher } from "./origins/origin-dispatch";
import type { RegionRouter } from "./regions/region-router";
import { StaticRegionRouter } from "./regions/static-region-router";
import { D1SafetyTerms, type SafetyTermsSource } from "./safety-terms/tenant-safety-terms";
import { DurableTenantGate } from "./tenant-gate/durable-tenant-gate";
import type { TenantGateService } from "./tenant-gate/tenant-gate";
import type { TenantGate } from "./tenant-gate/tenant-gate-do";
import { D1TenantStore, type TenantStore } from "./tenants/tenant-store";

export interface Services {
  tenants: TenantStore;
  keys: KeyStore;
  audit: AuditLog;
  gate: TenantGateService;
  images: ImageStore;
  idempotency: IdempotencyStore;
  safetyTerms: SafetyTermsSource;
  origins: OriginDispatcher;
  /** Which origins may serve a request, best first, and what each attempt taught us. */
  regions: RegionRouter;
}

export interface ServiceDeps {
  db: D1Database;
  keysCache: KVNamespace;
  images: R2Bucket;
  tenantGate: DurableObjectNamespace<TenantGate>;
  /** The ORIGINS binding, unparsed. */
  origins: string;
  originSecret: string;
  /** The request's `executionCtx.waitUntil`: work that must finish but must not delay the response. */
  waitUntil: (promise: Promise<unknown>) => void;
  now?: () => Date;
}

export function buildServices(deps: ServiceDeps): Services {
  const db = openDatabase(deps.db);
  const now = deps.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  return {
    tenants: new D1TenantStore(db, now),
    keys: new D1KeyStore(db, deps.keysCache, deps.waitUntil, now),
    audit: new D1AuditLog(db, deps.db, deps.waitUntil),
    gate: new DurableTenantGate(deps.tenantGate),
    images: new R2ImageStore(deps.images),
    idempotency: new D1IdempotencyStore(db, deps.images, nowMs),
    safetyTerms: new D1SafetyTerms(db, nowMs),
    origins: new OriginDispatcher(parseOrigins(deps.origins), { secret: deps.originSecret }),
    regions: new StaticRegionRouter(parseOrigins(deps.origins)),
  };
}
