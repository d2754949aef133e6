// Tenants in D1: create, read and patch the limits and policy each tenant runs under.
import { eq, sql } from "drizzle-orm";
import { TIERS, type Tier } from "../../../protocol/tiers";
import type { Database } from "../../db/client";
import { type TenantRow, tenants } from "../../db/schema";
import { newId } from "../ids/random-base62";

export type Tenant = TenantRow;

export interface TenantSettings {
  rateLimitPerMinute: number;
  maxConcurrency: number;
  monthlyImageQuota: number;
  allowedTiers: Tier[];
  residency: string | null;
  storePrompts: boolean;
}

export const DEFAULT_TENANT_SETTINGS: TenantSettings = {
  rateLimitPerMinute: 60,
  maxConcurrency: 4,
  monthlyImageQuota: 1000,
  allowedTiers: [...TIERS],
  residency: null,
  storePrompts: false,
};

export type NewTenant = { name: string } & Partial<TenantSettings>;
export type TenantPatch = Partial<{ name: string } & TenantSettings>;

export interface TenantStore {
  create(input: NewTenant): Promise<Tenant>;
  get(id: string): Promise<Tenant | null>;
  /** Null when no such tenant. */
  update(id: string, patch: TenantPatch): Promise<Tenant | null>;
  /** A new webhook secret (the next derivation); null when no such tenant. */
  rotateWebhookSecret(id: string): Promise<Tenant | null>;
}

/** An explicit `undefined` (an omitted optional field) must not override a default. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export class D1TenantStore implements TenantStore {
  constructor(
    private readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: NewTenant): Promise<Tenant> {
    const at = this.now();
    const row: Tenant = {
      ...DEFAULT_TENANT_SETTINGS,
      ...withoutUndefined(input),
      id: newId("ten"),
      webhookSecretVersion: 0,
      webhookSecretRotatedAt: null,
      createdAt: at,
      updatedAt: at,
    };
    await this.db.insert(tenants).values(row);
    return row;
  }

  async get(id: string): Promise<Tenant | null> {
    const row = await this.db.query.tenants.findFirst({ where: eq(tenants.id, id) });
    return row ?? null;
  }

  async update(id: string, patch: TenantPatch): Promise<Tenant | null> {
    const rows = await this.db
      .update(tenants)
      .set({ ...patch, updatedAt: this.now() })
      .where(eq(tenants.id, id))
      .returning();
    return rows[0] ?? null;
  }

  async rotateWebhookSecret(id: string): Promise<Tenant | null> {
    const at = this.now();
    const rows = await this.db
      .update(tenants)
      .set({
        webhookSecretVersion: sql`${tenants.webhookSecretVersion} + 1`,
        webhookSecretRotatedAt: at,
        updatedAt: at,
      })
      .where(eq(tenants.id, id))
      .returning();
    return rows[0] ?? null;
  }
}
