// The local stack as a library: origins per region (each optionally behind a chaos proxy) + the edge under wrangler dev.
import { mkdir } from "node:fs/promises";
import type { ChaosProxy } from "./chaos-proxy";
import type { ManagedChild } from "./child-group";
import { applyMigrations, startEdge } from "./edge-dev";
import { ensureModel, type Progress, startOrigins } from "./origin-regions";
import { registerStackOrigins } from "./origin-registry";
import { assertPortsFree, type PortClaim } from "./readiness";
import { edgeUrlOf, HOST, type LocalStackConfig, originUrlOf } from "./stack-config";
import { type StackOrigin, stackOrigin, startChaosProxies } from "./stack-origin";

export interface LocalStack {
  config: LocalStackConfig;
  edgeUrl: string;
  /** The origin processes' own URLs. */
  origins: Array<{ region: string; url: string }>;
  /** Every region: its process (kill, restart) and its chaos proxy. */
  regions: StackOrigin[];
  /** One region by name; throws for a region the stack does not run. */
  region(name: string): StackOrigin;
  /** True when the origins were registered through the edge's admin API (else ORIGINS serves). */
  originsRegistered: boolean;
  /** The processes running now (the edge first); a restarted origin replaces its predecessor. */
  readonly children: ManagedChild[];
  /** Streams every child's output lines from now on, prefixed with its name. */
  tee(sink: (name: string, line: string) => void): void;
  /** Stops the edge, then the origins (each drains); idempotent. */
  stop(): Promise<void>;
}

function portClaims(config: LocalStackConfig): PortClaim[] {
  const claims: PortClaim[] = [
    { host: HOST, port: config.edgePort, role: "edge", envVar: "EDGE_PORT" },
    ...config.origins.map((o) => ({
      host: HOST,
      port: o.port,
      role: `origin ${o.region}`,
      envVar: o.portVar,
    })),
    ...config.origins.flatMap((o) =>
      o.proxyPort === undefined
        ? []
        : [
            {
              host: HOST,
              port: o.proxyPort,
              role: `chaos proxy ${o.region}`,
              envVar: `proxyPort of ${o.region}`,
            },
          ],
    ),
  ];
  if (config.inspectorPort !== 0) {
    claims.push({
      host: HOST,
      port: config.inspectorPort,
      role: "edge devtools",
      envVar: "EDGE_INSPECTOR_PORT",
    });
  }
  return claims;
}

async function stopAll(children: readonly ManagedChild[], proxies: Iterable<ChaosProxy> = []) {
  for (const child of children) await child.stop();
  for (const proxy of proxies) await proxy.close();
}

async function startProcesses(config: LocalStackConfig, progress: Progress) {
  // Migrations (wrangler, ~3 s of CPU) overlap the origins' model load and warm-up.
  const [origins, migrations] = await Promise.allSettled([
    startOrigins(config, progress),
    applyMigrations(config, progress),
  ]);
  if (origins.status === "rejected" || migrations.status === "rejected") {
    if (origins.status === "fulfilled") await stopAll(origins.value);
    throw origins.status === "rejected"
      ? origins.reason
      : (migrations as PromiseRejectedResult).reason;
  }
  try {
    return { edge: await startEdge(config, progress), origins: origins.value };
  } catch (error) {
    await stopAll(origins.value);
    throw error;
  }
}

export async function startLocalStack(
  config: LocalStackConfig,
  progress: Progress = () => {},
): Promise<LocalStack> {
  await mkdir(config.logDir, { recursive: true });
  await mkdir(config.persistDir, { recursive: true });
  await assertPortsFree(portClaims(config));
  await ensureModel(config, progress);
  const proxies = await startChaosProxies(config);
  let started: Awaited<ReturnType<typeof startProcesses>>;
  try {
    started = await startProcesses(config, progress);
  } catch (error) {
    await stopAll([], proxies.values());
    throw error;
  }
  const { edge } = started;
  let sink: ((name: string, line: string) => void) | null = null;
  const regions = config.origins.map((origin, i) =>
    stackOrigin(
      config,
      origin,
      started.origins[i]!,
      proxies.get(origin.region) ?? null,
      (child) => child.tee((line) => sink?.(child.name, line)),
      progress,
    ),
  );
  const current = () => [edge, ...regions.map((r) => r.child())];
  let originsRegistered = false;
  try {
    if (config.registerOrigins !== false) {
      originsRegistered = await registerStackOrigins(config, edgeUrlOf(config));
      if (originsRegistered) progress("origins registered through POST /admin/origins");
    }
  } catch (error) {
    await stopAll(current(), proxies.values());
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    config,
    edgeUrl: edgeUrlOf(config),
    origins: config.origins.map((o) => ({ region: o.region, url: originUrlOf(o) })),
    regions,
    region(name) {
      const found = regions.find((r) => r.region === name);
      if (!found) throw new Error(`the local stack runs no region '${name}'`);
      return found;
    },
    originsRegistered,
    get children() {
      return current();
    },
    tee(next) {
      sink = next;
      for (const child of current()) child.tee((line) => next(child.name, line));
    },
    stop() {
      stopping ??= stopAll(current(), proxies.values());
      return stopping;
    },
  };
}
