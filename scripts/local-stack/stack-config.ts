// The local stack's settings: ports, secrets and folders, from environment variables with embedded defaults.
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const HOST = "127.0.0.1";

export interface OriginRegionConfig {
  region: string;
  port: number;
  /** The variable that moves this origin's port, for error messages. */
  portVar: string;
  /** When set, a chaos proxy listens here in front of the origin, and the edge calls the proxy. */
  proxyPort?: number;
  /** Registry fields sent with this origin to POST /admin/origins (region and url are filled in). */
  registry?: OriginRegistryFields;
}

/** The optional fields of an origins-registry entry (see the edge's admin API). */
export interface OriginRegistryFields {
  continents?: string[];
  colos?: string[];
  weight?: number;
  models?: string[];
  state?: "active" | "draining" | "disabled";
}

export interface LocalStackConfig {
  edgePort: number;
  /** wrangler's devtools port; 0 lets the OS pick one, so it can never clash. */
  inspectorPort: number;
  origins: OriginRegionConfig[];
  adminToken: string;
  /** Signs edge → origin calls; fresh per run unless ORIGIN_SHARED_SECRET is set. */
  originSecret: string;
  /** wrangler's --persist-to: local D1, KV, Durable Objects and R2 live under `<dir>/v3`. */
  persistDir: string;
  logDir: string;
  modelDir: string;
  /** Extra environment for the origin processes (e.g. DARKROOM_BENCH_NULL_ORIGIN, log level). */
  originEnv: Record<string, string>;
  /** Extra `--var KEY:VALUE` for wrangler dev (e.g. BREAKER_COOLDOWN_MS); the stack's own vars win. */
  edgeVars?: Record<string, string>;
  /**
   * Register the origins through POST /admin/origins once the edge is up, when the edge has that
   * route (default true); the ORIGINS var stays the bootstrap list either way.
   */
  registerOrigins?: boolean;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, allowZero = false): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(value) || value < min || value > 65_535) {
    throw new Error(
      `${name} must be a port number (${min}–65535), not '${raw}'. Fix it and rerun.`,
    );
  }
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): LocalStackConfig {
  // `||`, not `??`: a variable set but empty means the default, not the repository root.
  const persistDir = resolve(REPO_ROOT, env.LOCAL_STACK_PERSIST_DIR || ".wrangler/state");
  return {
    edgePort: port(env, "EDGE_PORT", 8787),
    inspectorPort: port(env, "EDGE_INSPECTOR_PORT", 0, true),
    origins: [
      { region: "us", port: port(env, "ORIGIN_US_PORT", 8801), portVar: "ORIGIN_US_PORT" },
      { region: "eu", port: port(env, "ORIGIN_EU_PORT", 8802), portVar: "ORIGIN_EU_PORT" },
    ],
    adminToken: env.ADMIN_TOKEN || "dev-admin-token",
    originSecret: env.ORIGIN_SHARED_SECRET || randomBytes(24).toString("base64url"),
    persistDir,
    logDir: join(REPO_ROOT, ".wrangler", "local-stack"),
    modelDir: resolve(REPO_ROOT, env.DARKROOM_MODEL_DIR || "models/tiny-sd"),
    originEnv: {},
  };
}

export const edgeUrlOf = (config: LocalStackConfig) => `http://${HOST}:${config.edgePort}`;
export const originUrlOf = (origin: OriginRegionConfig) => `http://${HOST}:${origin.port}`;
/** What the edge calls for this origin: its chaos proxy when it has one, else the origin itself. */
export const edgeFacingUrlOf = (origin: OriginRegionConfig) =>
  origin.proxyPort === undefined ? originUrlOf(origin) : `http://${HOST}:${origin.proxyPort}`;

/** The edge's ORIGINS binding: configuration as data, one `{region, url}` per origin. */
export const originsBinding = (config: LocalStackConfig) =>
  JSON.stringify(config.origins.map((o) => ({ region: o.region, url: edgeFacingUrlOf(o) })));
