// The local stack as a library: origins per region + the edge under wrangler dev, started and stopped together.
import { mkdir } from "node:fs/promises";
import type { ManagedChild } from "./child-group";
import { applyMigrations, startEdge } from "./edge-dev";
import { ensureModel, type Progress, startOrigins } from "./origin-regions";
import { assertPortsFree, type PortClaim } from "./readiness";
import { edgeUrlOf, HOST, type LocalStackConfig, originUrlOf } from "./stack-config";

export interface LocalStack {
  config: LocalStackConfig;
  edgeUrl: string;
  origins: Array<{ region: string; url: string }>;
  children: ManagedChild[];
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

async function stopAll(children: readonly ManagedChild[]) {
  for (const child of children) await child.stop();
}

export async function startLocalStack(
  config: LocalStackConfig,
  progress: Progress = () => {},
): Promise<LocalStack> {
  await mkdir(config.logDir, { recursive: true });
  await mkdir(config.persistDir, { recursive: true });
  await assertPortsFree(portClaims(config));
  await ensureModel(config, progress);
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
  let edge: ManagedChild;
  try {
    edge = await startEdge(config, progress);
  } catch (error) {
    await stopAll(origins.value);
    throw error;
  }
  const children = [edge, ...origins.value];
  let stopping: Promise<void> | null = null;
  return {
    config,
    edgeUrl: edgeUrlOf(config),
    origins: config.origins.map((o) => ({ region: o.region, url: originUrlOf(o) })),
    children,
    tee(sink) {
      for (const child of children) child.tee((line) => sink(child.name, line));
    },
    stop() {
      stopping ??= stopAll(children);
      return stopping;
    },
  };
}
