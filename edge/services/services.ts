// The per-request service container the init middleware puts in `c.var.services`; no hono here.
import { openDatabase } from "../db/client";
import type { Bindings } from "../env";
import { type AuditLog, D1AuditLog } from "./audit/audit-log";
import { D1IdempotencyStore, type IdempotencyStore } from "./idempotency/idempotency-store";
import { type ImageStore, R2ImageStore } from "./images/image-store";
import { D1KeyStore, type KeyStore } from "./keys/key-store";
import { OriginDispatcher } from "./origins/origin-dispatch";
import type { BreakerPolicy } from "./regions/breaker";
import { breakerPolicy } from "./regions/breaker-policy";
import { D1OriginRegistry, type OriginRegistry } from "./regions/origin-registry";
import { RegionBoardClient } from "./regions/region-board-client";
import type { RegionBoard } from "./regions/region-board-do";
import { RegionPicker } from "./regions/region-picker";
import type { RegionRouter } from "./regions/region-router";
import { type RttTable, rttTable } from "./regions/rtt-table";
import { D1SafetyTermStore } from "./safety-terms/safety-term-store";
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
  /** Writes a tenant's safety additions (admin API); the prefilter reads them through `safetyTerms`. */
  safetyTermStore: D1SafetyTermStore;
  origins: OriginDispatcher;
  /** Which origins may serve a request, best first, and what each attempt taught us. */
  regions: RegionRouter;
  /** The origins registry (admin API, probes); routing reads it through `regions`. */
  originRegistry: OriginRegistry;
  /** The RegionBoard: probe results and circuit breakers shared by every isolate. */
  regionBoard: RegionBoardClient;
  /** The breaker thresholds this deployment runs with (BREAKER_* vars). */
  breakerPolicy: BreakerPolicy;
}

export interface ServiceDeps {
  db: D1Database;
  keysCache: KVNamespace;
  images: R2Bucket;
  tenantGate: DurableObjectNamespace<TenantGate>;
  /** The ORIGINS binding, unparsed: the bootstrap list, used only while the registry is empty. */
  origins: string;
  originSecret: string;
  regionBoard: DurableObjectNamespace<RegionBoard>;
  breakerPolicy: BreakerPolicy;
  rtt: RttTable;
  /** The request's `executionCtx.waitUntil`: work that must finish but must not delay the response. */
  waitUntil: (promise: Promise<unknown>) => void;
  now?: () => Date;
}

/** The services of a request (init middleware) or of a Durable Object (a job), from the Worker's bindings. */
export function servicesFromEnv(
  env: Bindings,
  waitUntil: (promise: Promise<unknown>) => void,
): Services {
  return buildServices({
    db: env.DB,
    keysCache: env.KEYS_CACHE,
    images: env.IMAGES,
    tenantGate: env.TENANT_GATE,
    origins: env.ORIGINS,
    originSecret: env.ORIGIN_SHARED_SECRET,
    regionBoard: env.REGION_BOARD,
    breakerPolicy: breakerPolicy(env),
    rtt: rttTable(env.REGION_RTT),
    waitUntil,
  });
}

export function buildServices(deps: ServiceDeps): Services {
  const db = openDatabase(deps.db);
  const now = deps.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  const registry = new D1OriginRegistry(db, deps.origins, deps.waitUntil, now);
  const board = new RegionBoardClient(deps.regionBoard);
  const regions = new RegionPicker({
    registry,
    board,
    policy: deps.breakerPolicy,
    rtt: deps.rtt,
    waitUntil: deps.waitUntil,
  });
  return {
    tenants: new D1TenantStore(db, now),
    keys: new D1KeyStore(db, deps.keysCache, deps.waitUntil, now),
    audit: new D1AuditLog(db, deps.db, deps.waitUntil),
    gate: new DurableTenantGate(deps.tenantGate),
    images: new R2ImageStore(deps.images),
    idempotency: new D1IdempotencyStore(db, deps.images, nowMs),
    safetyTerms: new D1SafetyTerms(db, nowMs),
    safetyTermStore: new D1SafetyTermStore(db),
    origins: new OriginDispatcher({
      secret: deps.originSecret,
      record: (region, verdict, startedAt) => regions.record(region, verdict, startedAt),
    }),
    regions,
    originRegistry: registry,
    regionBoard: board,
    breakerPolicy: deps.breakerPolicy,
  };
}
