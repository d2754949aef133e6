// The one typed environment: Worker bindings and per-request variables every Hono handler sees.
import type { AuditDraft } from "./services/audit/audit-draft";
import type { GenerationJob } from "./services/jobs/generation-job-do";
import type { AuthContext } from "./services/keys/key-store";
import type { RegionBoard } from "./services/regions/region-board-do";
import type { Services } from "./services/services";
import type { TenantGate } from "./services/tenant-gate/tenant-gate-do";

/** Mirrors wrangler.toml; secrets (ADMIN_TOKEN, ORIGIN_SHARED_SECRET) come from `wrangler secret`. */
export interface Bindings {
  DB: D1Database;
  KEYS_CACHE: KVNamespace;
  IMAGES: R2Bucket;
  /** One TenantGate per tenant (idFromName(tenantId)): rate limit, concurrency, quota reservation. */
  TENANT_GATE: DurableObjectNamespace<TenantGate>;
  /** The one RegionBoard (idFromName("global")): origin health, load and circuit breakers. */
  REGION_BOARD: DurableObjectNamespace<RegionBoard>;
  /** One GenerationJob per async job (idFromName(jobId)). */
  JOBS: DurableObjectNamespace<GenerationJob>;
  /** Rate Limiting binding: D1 key lookups (keys no cache holds) per client address
   *  (middleware/api-key-auth.ts). Optional: where it is not bound, nothing is limited. */
  KEY_LOOKUP_LIMIT?: RateLimit;
  ADMIN_TOKEN: string;
  ORIGIN_SHARED_SECRET: string;
  /** JSON list of `{region, url}`: the bootstrap origins, used only while the D1 origins registry
   *  (admin API /admin/origins) has no rows. */
  ORIGINS: string;
  /** Optional circuit-breaker thresholds (edge/services/regions/breaker.ts has the defaults). */
  BREAKER_FAILURES?: string;
  BREAKER_COOLDOWN_MS?: string;
  BREAKER_ERROR_RATE?: string;
  BREAKER_WINDOW_MS?: string;
  BREAKER_MIN_REQUESTS?: string;
  /** Optional JSON override of the RTT table used to rank origins (edge/services/regions/rtt-table.ts). */
  REGION_RTT?: string;
  /** Optional JSON list of the model ids `model` accepts (besides "default"); unset: ["tiny-sd"]. */
  MODELS?: string;
  ENVIRONMENT: string;
  /** Seconds a finished job's record stays readable (GenerationJob); unset: 7 days. */
  JOB_RETENTION_S?: string;
  /** Milliseconds one Durable Object alarm follows a job before handing it to the next (at most
   *  and by default 12 minutes; alarms end at 15). Lower only to exercise handovers in tests. */
  JOB_HANDOVER_MS?: string;
  /** Milliseconds a client's event stream may stay silent before a `: keepalive` comment
   *  (edge/services/streams/sse-heartbeat.ts); unset: 15 s. Lower only to exercise it in tests. */
  SSE_HEARTBEAT_MS?: string;
  /** Days an audit record is kept before the cron deletes it, 1–3650; unset, empty or invalid: 90. */
  AUDIT_RETENTION_DAYS?: string;
  /** Secret: per-tenant webhook signing keys derive from it (services/webhooks); dev has a default. */
  WEBHOOK_SIGNING_SECRET?: string;
  /** "true" only in development (wrangler.toml top level; "false" in [env.*]): http and loopback webhook URLs. */
  WEBHOOK_ALLOW_INSECURE?: string;
}

/** Read one with `c.get(name)` on hot paths: Hono's `c.var` copies every variable on each access. */
export interface Variables {
  requestId: string;
  /** W3C trace id (32 hex), taken from `traceparent` or minted; forwarded to origins. */
  traceId: string;
  services: Services;
  /** Filled by the audit middleware; downstream code notes what it learns into it. */
  audit: AuditDraft;
  /** Set by the API-key middleware only: read it only on routes behind `apiKeyAuth()`. */
  auth: AuthContext;
}

export type AppEnv = { Bindings: Bindings; Variables: Variables };
