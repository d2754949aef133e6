// The per-request service container the init middleware puts in `c.var.services`; no hono here.
import { openDatabase } from "../db/client";
import { type AuditLog, D1AuditLog } from "./audit/audit-log";
import { D1KeyStore, type KeyStore } from "./keys/key-store";
import { D1TenantStore, type TenantStore } from "./tenants/tenant-store";

export interface Services {
  tenants: TenantStore;
  keys: KeyStore;
  audit: AuditLog;
}

export interface ServiceDeps {
  db: D1Database;
  keysCache: KVNamespace;
  /** The request's `executionCtx.waitUntil`: work that must finish but must not delay the response. */
  waitUntil: (promise: Promise<unknown>) => void;
  now?: () => Date;
}

export function buildServices(deps: ServiceDeps): Services {
  const db = openDatabase(deps.db);
  const now = deps.now ?? (() => new Date());
  return {
    tenants: new D1TenantStore(db, now),
    keys: new D1KeyStore(db, deps.keysCache, deps.waitUntil, now),
    audit: new D1AuditLog(db),
  };
}
