// Starts one origin process per region (after making sure the model exists) and waits for /readyz.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureTinyModel } from "../../origin/model/tiny";
import { type ManagedChild, spawnGroup } from "./child-group";
import { waitUntilReady } from "./readiness";
import {
  type LocalStackConfig,
  type OriginRegionConfig,
  originUrlOf,
  REPO_ROOT,
} from "./stack-config";

export type Progress = (line: string) => void;

const READY_TIMEOUT_MS = 180_000;

/**
 * Generates the tiny model once, here, before two origins would both notice it missing; a custom
 * DARKROOM_MODEL_DIR (a real export) must already exist.
 */
export async function ensureModel(config: LocalStackConfig, progress: Progress): Promise<void> {
  if (existsSync(join(config.modelDir, "model_index.json"))) return;
  if (config.modelDir !== resolve(REPO_ROOT, "models/tiny-sd")) {
    throw new Error(
      `No model at ${config.modelDir} (model_index.json missing). Point DARKROOM_MODEL_DIR at an ` +
        "Optimum ONNX export, or unset it to use the generated tiny model.",
    );
  }
  progress(`generating tiny model in ${config.modelDir}…`);
  const started = performance.now();
  await ensureTinyModel(config.modelDir);
  progress(`tiny model ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function spawnOrigin(
  config: LocalStackConfig,
  origin: OriginRegionConfig,
  appendLog = false,
): ManagedChild {
  return spawnGroup({
    name: `origin ${origin.region}`,
    command: process.execPath,
    args: ["--import", "tsx", "origin/main.ts"],
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DARKROOM_HOST: "127.0.0.1",
      DARKROOM_PORT: String(origin.port),
      DARKROOM_REGION: origin.region,
      DARKROOM_MODEL_DIR: config.modelDir,
      ORIGIN_SHARED_SECRET: config.originSecret,
      // Origins share two cores: one intra-op thread each keeps them from fighting.
      DARKROOM_INTRA_OP_THREADS: process.env.DARKROOM_INTRA_OP_THREADS || "1",
      ...config.originEnv,
    },
    logPath: join(config.logDir, `origin-${origin.region}.log`),
    appendLog,
  });
}

async function untilReady(child: ManagedChild, origin: OriginRegionConfig, progress: Progress) {
  const ms = await waitUntilReady(
    child,
    `${originUrlOf(origin)}/readyz`,
    READY_TIMEOUT_MS,
    `See the log; if the port is taken, set ${origin.portVar}.`,
  );
  progress(`origin ${origin.region} ready in ${(ms / 1000).toFixed(1)} s`);
}

/** Starts one origin again (after it was killed), its log appended, once it answers /readyz. */
export async function restartOrigin(
  config: LocalStackConfig,
  origin: OriginRegionConfig,
  progress: Progress,
): Promise<ManagedChild> {
  const child = spawnOrigin(config, origin, true);
  try {
    await untilReady(child, origin, progress);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return child;
}

export async function startOrigins(
  config: LocalStackConfig,
  progress: Progress,
): Promise<ManagedChild[]> {
  const children = config.origins.map((origin) => spawnOrigin(config, origin));
  progress(
    `starting origins ${config.origins.map((o) => `${o.region} (${originUrlOf(o)})`).join(", ")}…`,
  );
  const results = await Promise.allSettled(
    children.map((child, i) => untilReady(child, config.origins[i]!, progress)),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(children.map((c) => c.stop()));
    throw failed.reason;
  }
  return children;
}
