// The multi-region test bed: origins us, eu, ap (each behind a chaos proxy) and the edge, plus the client calls tests make.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminCall, createTenant, issueKey } from "../../scripts/local-stack/admin-client";
import type { Progress } from "../../scripts/local-stack/origin-regions";
import {
  type BreakerState,
  listOrigins,
  type RegisteredOrigin,
} from "../../scripts/local-stack/origin-registry";
import { type LocalStack, startLocalStack } from "../../scripts/local-stack/stack";
import { configFromEnv, type OriginRegistryFields } from "../../scripts/local-stack/stack-config";
import { until } from "./poll";

export const BED_REGIONS = ["us", "eu", "ap"] as const;
export type BedRegion = (typeof BED_REGIONS)[number];

export interface RegionBedOptions {
  /** The edge's port; each region takes two more (origin, proxy) from `originPortBase`. */
  edgePort: number;
  /** Region i's origin listens on base + i, its chaos proxy on base + 10 + i. */
  originPortBase: number;
  /** Extra wrangler --var (breaker thresholds, cool-downs). */
  edgeVars?: Record<string, string>;
  registry?: Partial<Record<BedRegion, OriginRegistryFields>>;
  progress?: Progress;
}

export interface BedTenant {
  id: string;
  key: string;
}

export interface RegionBed {
  stack: LocalStack;
  adminToken: string;
  newTenant(name: string, residency?: string | null): Promise<BedTenant>;
  /** The registry's view of each region (health, breaker); empty without the registry. */
  origins(): Promise<Map<string, RegisteredOrigin>>;
  breaker(region: string): Promise<BreakerState | null>;
  /** Every proxy back to `pass`, counts zeroed. */
  resetChaos(): Promise<void>;
  /**
   * Every origin running, every proxy passing, every breaker closed, counts zeroed. Only a
   * successful half-open trial closes a breaker, so `nudge` (one request) is sent until they all
   * are; false if one stayed open for `timeoutMs`.
   */
  heal(nudge: () => Promise<unknown>, timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startRegionBed(options: RegionBedOptions): Promise<RegionBed> {
  const scratch = await mkdtemp(join(tmpdir(), "darkroom-region-bed-"));
  const adminToken = `region-bed-${randomBytes(8).toString("hex")}`;
  let stack: LocalStack;
  try {
    stack = await startLocalStack(
      {
        ...configFromEnv({}),
        edgePort: options.edgePort,
        origins: BED_REGIONS.map((region, i) => ({
          region,
          port: options.originPortBase + i,
          proxyPort: options.originPortBase + 10 + i,
          portVar: `origin ${region} port`,
          registry: options.registry?.[region],
        })),
        adminToken,
        originSecret: randomBytes(24).toString("base64url"),
        persistDir: join(scratch, "state"),
        logDir: join(scratch, "logs"),
        // Three origins, the edge and the clients share two cores: keep the origins quiet.
        originEnv: { DARKROOM_LOG_LEVEL: "warn" },
        edgeVars: options.edgeVars,
      },
      options.progress,
    );
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
  const bed: RegionBed = {
    stack,
    adminToken,
    async newTenant(name, residency = null) {
      const tenant = await createTenant(stack.edgeUrl, adminToken, {
        name,
        rate_limit_per_minute: 100_000,
        max_concurrency: 32,
        monthly_image_quota: 1_000_000,
      });
      if (residency !== null) {
        const patched = await adminCall(
          stack.edgeUrl,
          adminToken,
          "PATCH",
          `/admin/tenants/${encodeURIComponent(tenant.id)}`,
          { residency },
        );
        if (patched.status !== 200) {
          throw new Error(
            `PATCH residency answered ${patched.status}: ${JSON.stringify(patched.body)}`,
          );
        }
      }
      const key = await issueKey(stack.edgeUrl, adminToken, tenant.id, name);
      return { id: tenant.id, key: key.key };
    },
    async origins() {
      if (!stack.originsRegistered) return new Map();
      const list = await listOrigins(stack.edgeUrl, adminToken);
      return new Map(list.map((o) => [o.region, o]));
    },
    async breaker(region) {
      return (await bed.origins()).get(region)?.health?.breaker ?? null;
    },
    async resetChaos() {
      for (const region of stack.regions) {
        await region.chaos?.pass();
        region.chaos?.resetCounts();
      }
    },
    async heal(nudge, timeoutMs = 60_000) {
      for (const region of stack.regions) {
        if (region.child().exitedWith() !== null) await region.restart();
      }
      await bed.resetChaos();
      const closed = await until(
        async () => {
          const origins = [...(await bed.origins()).values()];
          if (origins.every((o) => o.health?.breaker === "closed")) return true;
          await nudge();
          return false;
        },
        timeoutMs,
        250,
      );
      for (const region of stack.regions) region.chaos?.resetCounts();
      return closed;
    },
    async stop() {
      await stack.stop();
      // REGION_BED_KEEP=1 keeps the logs (origin-*.log, edge.log) to read after a failure.
      if (process.env.REGION_BED_KEEP === "1") console.error(`region bed logs: ${scratch}/logs`);
      else await rm(scratch, { recursive: true, force: true });
    },
  };
  return bed;
}
