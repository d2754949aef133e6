// D1 schema (drizzle, SQLite): tenants, API keys, usage ledger, audit records, idempotency, safety terms, origins.
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { Tier } from "../../protocol/tiers";

const createdAt = () =>
  integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  rateLimitPerMinute: integer("rate_limit_per_minute").notNull(),
  maxConcurrency: integer("max_concurrency").notNull(),
  monthlyImageQuota: integer("monthly_image_quota").notNull(),
  allowedTiers: text("allowed_tiers", { mode: "json" }).$type<Tier[]>().notNull(),
  /** Region tag the tenant's requests must stay in; null means any region. */
  residency: text("residency"),
  storePrompts: integer("store_prompts", { mode: "boolean" }).notNull().default(false),
  /** Which derivation of the tenant's webhook secret is current; bumped by a rotation. */
  webhookSecretVersion: integer("webhook_secret_version").notNull().default(0),
  /** When it was last rotated: the previous secret still signs for a while after. */
  webhookSecretRotatedAt: integer("webhook_secret_rotated_at", { mode: "timestamp_ms" }),
  createdAt: createdAt(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name"),
    /** Display prefix such as `drk_AbC123`; never enough to authenticate. */
    prefix: text("prefix").notNull(),
    /** SHA-256 hex of the full key: the only form of the secret at rest. */
    hash: text("hash").notNull(),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("api_keys_hash_uq").on(t.hash), index("api_keys_tenant_idx").on(t.tenantId)],
);

export const usageLedger = sqliteTable(
  "usage_ledger",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    requestId: text("request_id").notNull(),
    tenantId: text("tenant_id").notNull(),
    /** Billing period, `YYYY-MM` (UTC). */
    period: text("period").notNull(),
    images: integer("images").notNull(),
    costUnits: integer("cost_units").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("usage_ledger_request_uq").on(t.tenantId, t.requestId),
    index("usage_ledger_period_idx").on(t.tenantId, t.period),
  ],
);

export const auditRecords = sqliteTable(
  "audit_records",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    // Not unique: a client-supplied X-Request-Id may repeat, and every request still gets its record.
    requestId: text("request_id").notNull(),
    tenantId: text("tenant_id"),
    keyId: text("key_id"),
    route: text("route").notNull(),
    tier: text("tier"),
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>(),
    promptSha256: text("prompt_sha256"),
    safetyDecision: text("safety_decision"),
    safetyCategory: text("safety_category"),
    policyVersion: text("policy_version"),
    region: text("region"),
    status: integer("status").notNull(),
    errorCode: text("error_code"),
    timings: text("timings", { mode: "json" }).$type<Record<string, number>>(),
    costCharged: integer("cost_charged").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [
    // A retried audit insert finds its first attempt by tenant and creation time (audit-log.ts).
    index("audit_records_tenant_idx").on(t.tenantId, t.createdAt),
    // GET /admin/audit?tenant_id= pages newest first by id: read in index order, never sorted.
    index("audit_records_tenant_page_idx").on(t.tenantId, t.id),
    index("audit_records_request_idx").on(t.requestId),
    // The cron's retention purge reads the oldest records across every tenant.
    index("audit_records_created_idx").on(t.createdAt),
  ],
);

export const idempotencyRecords = sqliteTable(
  "idempotency_records",
  {
    tenantId: text("tenant_id").notNull(),
    key: text("key").notNull(),
    bodySha256: text("body_sha256").notNull(),
    /** `in_progress` while the first request runs, then `completed` with its response stored. */
    status: text("status", { enum: ["in_progress", "completed"] }).notNull(),
    response: text("response", { mode: "json" }).$type<{
      status: number;
      headers: Record<string, string>;
      body: unknown;
      /** Set when the body was too big for a D1 row: it lives in R2 under this key instead. */
      bodyRef?: string;
      /** Set when the body could not be kept at all: repeats are refused, never run again. */
      lost?: boolean;
    }>(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.key] }),
    // The cron's purge of expired records reads them oldest first.
    index("idempotency_records_created_idx").on(t.createdAt),
  ],
);

export const safetyTerms = sqliteTable(
  "safety_terms",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenantId: text("tenant_id").notNull(),
    category: text("category").notNull(),
    term: text("term").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("safety_terms_uq").on(t.tenantId, t.category, t.term)],
);

/** How an origin takes new work: `draining` finishes what it has but gets nothing new; `disabled` gets nothing. */
export const ORIGIN_STATES = ["active", "draining", "disabled"] as const;
export type OriginState = (typeof ORIGIN_STATES)[number];

/** The origins registry: which regional origins exist and whom they serve best (edge/services/regions/). */
export const origins = sqliteTable("origins", {
  region: text("region").primaryKey(),
  url: text("url").notNull(),
  /** Cloudflare continent codes (`request.cf.continent`, e.g. "NA", "EU") this origin is near. */
  continents: text("continents", { mode: "json" }).$type<string[]>().notNull(),
  /** Cloudflare colo codes (`request.cf.colo`, e.g. "IAD") this origin is nearest to. */
  colos: text("colos", { mode: "json" }).$type<string[]>().notNull(),
  /** Tie-breaker between equally fast origins: higher first. */
  weight: real("weight").notNull().default(1),
  /** Model ids served here; empty means every model. */
  models: text("models", { mode: "json" }).$type<string[]>().notNull(),
  state: text("state", { enum: ORIGIN_STATES }).notNull().default("active"),
  createdAt: createdAt(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export type TenantRow = typeof tenants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type AuditRow = typeof auditRecords.$inferSelect;
export type NewAuditRow = typeof auditRecords.$inferInsert;
export type OriginRow = typeof origins.$inferSelect;
