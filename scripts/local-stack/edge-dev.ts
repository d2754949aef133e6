// Runs the edge Worker under `wrangler dev` with local D1/KV/DO/R2 state, after applying D1 migrations.
import { createRequire } from "node:module";
import { join } from "node:path";
import { type ManagedChild, runToCompletion, spawnGroup } from "./child-group";
import type { Progress } from "./origin-regions";
import { waitUntilReady } from "./readiness";
import { edgeUrlOf, HOST, type LocalStackConfig, originsBinding, REPO_ROOT } from "./stack-config";

/** wrangler.toml's d1_databases[0].database_name (top level = local development). */
const D1_DATABASE = "darkroom";
const READY_TIMEOUT_MS = 90_000;

const WRANGLER = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");

function wranglerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Offline: no Request.cf lookup, no telemetry.
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    // No colour codes in the log files.
    FORCE_COLOR: "0",
  };
}

export async function applyMigrations(config: LocalStackConfig, progress: Progress) {
  progress("applying D1 migrations (local)…");
  const started = performance.now();
  await runToCompletion({
    name: "wrangler d1 migrations apply",
    command: process.execPath,
    args: [WRANGLER, "d1", "migrations", "apply", D1_DATABASE, "--local"].concat([
      "--persist-to",
      config.persistDir,
    ]),
    cwd: REPO_ROOT,
    env: { ...wranglerEnv(), CI: "1" },
    logPath: join(config.logDir, "migrations.log"),
    timeoutMs: 120_000,
    hint: `Check migrations/ and wrangler.toml; to start from empty local state, delete ${config.persistDir}.`,
  });
  progress(`migrations applied in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

export async function startEdge(
  config: LocalStackConfig,
  progress: Progress,
): Promise<ManagedChild> {
  const vars = {
    ...config.edgeVars,
    ADMIN_TOKEN: config.adminToken,
    ORIGIN_SHARED_SECRET: config.originSecret,
    ORIGINS: originsBinding(config),
  };
  // --var beats both wrangler.toml [vars] and a developer's .dev.vars, so the edge always gets the
  // secret the origins were started with. wrangler splits KEY:VALUE at the first colon only.
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  progress(`starting edge (wrangler dev) on ${edgeUrlOf(config)}…`);
  const child = spawnGroup({
    name: "edge (wrangler dev)",
    command: process.execPath,
    args: [
      WRANGLER,
      "dev",
      "--ip",
      HOST,
      "--port",
      String(config.edgePort),
      "--inspector-port",
      String(config.inspectorPort),
      "--persist-to",
      config.persistDir,
      "--show-interactive-dev-session=false",
      ...varArgs,
    ],
    cwd: REPO_ROOT,
    env: wranglerEnv(),
    logPath: join(config.logDir, "edge.log"),
  });
  try {
    const ms = await waitUntilReady(
      child,
      `${edgeUrlOf(config)}/healthz`,
      READY_TIMEOUT_MS,
      "If the port is taken, set EDGE_PORT (or EDGE_INSPECTOR_PORT for the devtools port).",
    );
    progress(`edge ready in ${(ms / 1000).toFixed(1)} s`);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return child;
}
