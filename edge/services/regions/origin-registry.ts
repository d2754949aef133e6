// The origins registry in D1 (admin-managed), cached per isolate; ORIGINS only bootstraps an empty registry.
import { asc, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { type OriginRow, type OriginState, origins } from "../../db/schema";
import { parseOrigins } from "../origins/origin-config";
import { IsolateCache } from "./isolate-cache";

export type RegisteredOrigin = OriginRow;

/** What routing needs of an origin, from the registry or the bootstrap list. */
export interface RoutableOrigin {
  readonly region: string;
  readonly url: string;
  readonly continents: readonly string[];
  readonly colos: readonly string[];
  readonly weight: number;
  readonly models: readonly string[];
  readonly state: OriginState;
}

export interface OriginSettings {
  url: string;
  continents: string[];
  colos: string[];
  weight: number;
  models: string[];
  state: OriginState;
}
export type NewOrigin = { region: string; url: string } & Partial<OriginSettings>;
export type OriginPatch = Partial<OriginSettings>;

export type CreateOriginResult =
  | { readonly ok: true; readonly origin: RegisteredOrigin }
  | { readonly ok: false; readonly reason: "exists" };

export interface OriginRegistry {
  /** Registry rows, read from D1 (admin views: never cached). */
  list(): Promise<RegisteredOrigin[]>;
  get(region: string): Promise<RegisteredOrigin | null>;
  create(input: NewOrigin): Promise<CreateOriginResult>;
  update(region: string, patch: OriginPatch): Promise<RegisteredOrigin | null>;
  remove(region: string): Promise<boolean>;
  /** The origins routing and probing use, in registry order: the registry's rows, cached per isolate,
   *  or, while the registry has no rows at all, the bootstrap list from the ORIGINS var. */
  routable(): Promise<readonly RoutableOrigin[]>;
}

/**
 * Fresh for REGISTRY_FRESH_MS, so a change made through another isolate applies within that (plus
 * one request, which is served the old list while it refreshes). The isolate that served an admin
 * change purges at once. Past REGISTRY_MAX_STALE_MS an isolate waits for D1 again.
 */
export const REGISTRY_FRESH_MS = 5_000;
const REGISTRY_MAX_STALE_MS = 60_000;
const rows = new IsolateCache<readonly RoutableOrigin[]>(REGISTRY_FRESH_MS, REGISTRY_MAX_STALE_MS);

/** Drops this isolate's cached registry (the admin API calls it after every change). */
export const purgeRegistryCache = () => rows.purge();

export class D1OriginRegistry implements OriginRegistry {
  constructor(
    private readonly db: Database,
    /** The ORIGINS var, unparsed: used only while the registry is empty. */
    private readonly bootstrap: string | undefined,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly now: () => Date = () => new Date(),
  ) {}

  list(): Promise<RegisteredOrigin[]> {
    return this.db.select().from(origins).orderBy(asc(origins.createdAt), asc(origins.region));
  }

  async get(region: string): Promise<RegisteredOrigin | null> {
    const found = await this.db.select().from(origins).where(eq(origins.region, region)).limit(1);
    return found[0] ?? null;
  }

  async create(input: NewOrigin): Promise<CreateOriginResult> {
    const at = this.now();
    const row: RegisteredOrigin = {
      continents: [],
      colos: [],
      weight: 1,
      models: [],
      state: "active",
      ...withoutUndefined(input),
      url: trimUrl(input.url),
      createdAt: at,
      updatedAt: at,
    };
    const inserted = await this.db.insert(origins).values(row).onConflictDoNothing().returning();
    purgeRegistryCache();
    return inserted[0] ? { ok: true, origin: inserted[0] } : { ok: false, reason: "exists" };
  }

  async update(region: string, patch: OriginPatch): Promise<RegisteredOrigin | null> {
    const set = withoutUndefined({ ...patch, url: patch.url && trimUrl(patch.url) });
    const updated = await this.db
      .update(origins)
      .set({ ...set, updatedAt: this.now() })
      .where(eq(origins.region, region))
      .returning();
    purgeRegistryCache();
    return updated[0] ?? null;
  }

  async remove(region: string): Promise<boolean> {
    const deleted = await this.db
      .delete(origins)
      .where(eq(origins.region, region))
      .returning({ region: origins.region });
    purgeRegistryCache();
    return deleted.length > 0;
  }

  async routable(): Promise<readonly RoutableOrigin[]> {
    const registered = await rows.get(() => this.list(), this.waitUntil);
    if (registered.length > 0) return registered;
    return parseOrigins(this.bootstrap).map((o) => ({
      region: o.region,
      url: o.url,
      continents: [],
      colos: [],
      weight: 1,
      models: [],
      state: "active" as const,
    }));
  }
}

const trimUrl = (url: string) => url.replace(/\/+$/, "");

/** An explicit `undefined` (an omitted optional field) must not override a default. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
