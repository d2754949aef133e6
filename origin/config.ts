// Origin configuration: parsed once from the environment with zod, so a bad value fails at start-up.
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { MODEL_ID_PATTERN } from "../protocol/model-id";
import type { IntraOpSpinning } from "./runtime/ort-session";
import { type PeerEntry, parsePeers } from "./server/peer-forward";

const list = z.string().transform((s) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean),
);

/** `$XDG_CACHE_HOME/darkroom/models`, else `~/.cache/darkroom/models`, else `models/cache`. */
function defaultModelCacheDir(env: NodeJS.ProcessEnv): string {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "darkroom", "models");
  const home = env.HOME ?? homedir();
  return home ? join(home, ".cache", "darkroom", "models") : "models/cache";
}

const OriginEnvSchema = z.object({
  DARKROOM_MODEL_DIR: z.string().default("models/tiny-sd"),
  /** The id clients ask for; must match the edge's MODELS. Default: the manifest's or folder's last segment. */
  DARKROOM_MODEL_ID: z
    .string()
    .regex(MODEL_ID_PATTERN, "letters, digits, '.', '_' and '-' only (the edge's MODELS pattern)")
    .optional(),
  DARKROOM_HOST: z.string().default("127.0.0.1"),
  DARKROOM_PORT: z.coerce.number().int().min(0).max(65535).default(8801),
  DARKROOM_REGION: z.string().min(1).default("local"),
  /**
   * The region's other origin pods, comma-separated `host:port` or `dns:<name>:<port>` (a
   * headless Service): a cancel or attach for a run another pod holds is passed on to it.
   */
  DARKROOM_PEERS: list.default([]),
  /**
   * Comma-separated: two secrets are valid at once while one rotates out. Unset, the public
   * development secret, and only on a loopback address (see `sharedSecrets`).
   */
  ORIGIN_SHARED_SECRET: list.optional(),
  /** Execution providers in order of preference; cpu is always the last resort. */
  DARKROOM_PROVIDERS: list.pipe(z.array(z.enum(["cuda", "cpu"])).min(1)).default(["cpu"]),
  /** 0: one per CPU this process may run on (onnxruntime's own default used only one here). */
  DARKROOM_INTRA_OP_THREADS: z.coerce.number().int().min(0).default(0),
  /**
   * Whether intra-op threads spin-wait for work: `run` (during a call only), `on` (onnxruntime's
   * default: they keep spinning after it), `off` (they sleep). See runtime/ort-session.ts.
   */
  DARKROOM_INTRA_OP_SPINNING: z.enum(["run", "on", "off"]).default("run"),
  DARKROOM_INTER_OP_THREADS: z.coerce.number().int().min(0).default(1),
  /**
   * `worker`: the graphs run on a worker thread, so HTTP, encoding, probes and cancellation go on
   * while they do; `main`: on the event-loop thread (onnxruntime-node's calls block it); `auto`:
   * worker when the first provider is CUDA, main on CPU. On CPU the intra-op pool already takes
   * every core, and JavaScript running beside it oversubscribes them: bench:overlap, the fast
   * tier's steady state with post-processing overlapped on a worker, serves 0.91–0.92 of the
   * graphs-alone rate against 0.94–0.95 the main-thread way (two cores).
   */
  DARKROOM_RUNTIME_THREAD: z.enum(["auto", "worker", "main"]).default("auto"),
  /**
   * `auto`, or how many single-session instances a UNet batch's rows are split across, in parallel
   * (0: none); origin/runtime/split-runtime.ts says when it pays and what it costs in memory.
   */
  DARKROOM_UNET_INSTANCES: z
    .union([z.literal("auto"), z.coerce.number().int().min(0).max(16)])
    .default("auto"),
  DARKROOM_CUDA_DEVICE: z.coerce.number().int().min(0).default(0),
  DARKROOM_DRAIN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /**
   * The least time a graph call may run before it counts as hung (it may run 20× its predicted
   * cost when that is longer); a hang fails the origin (origin/scheduler/graph-watchdog.ts). 0: off.
   */
  DARKROOM_GRAPH_WATCHDOG_MS: z.coerce.number().int().min(0).default(60_000),
  /** `continuous` (tiers, step-level batching) or `fifo` (batch 1, arrival order): the baseline. */
  DARKROOM_SCHEDULER: z.enum(["continuous", "fifo"]).default("continuous"),
  /**
   * `auto`: after warm-up, measure how UNet and VAE cost grows with batch size and cap batches where
   * bigger ones stop paying (origin/scheduler/batch-calibration.ts); `off`: the policy's limits only.
   */
  DARKROOM_BATCH_CALIBRATION: z.enum(["auto", "off"]).default("auto"),
  /** BENCHMARK-ONLY: skip inference and return a fixed image (bench:edge). */
  DARKROOM_BENCH_NULL_ORIGIN: z.enum(["0", "1", "true", "false"]).default("0"),
  DARKROOM_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "silent"]).default("info"),
  /** Path or http(s) URL of a model manifest (origin/models/README.md); overrides DARKROOM_MODEL_DIR. */
  DARKROOM_MODEL_MANIFEST: z.string().min(1).optional(),
  DARKROOM_MODEL_CACHE_DIR: z.string().min(1).optional(),
  /** Budget of the loaded-model LRU (origin/models/model-pool.ts). */
  DARKROOM_MODEL_MEMORY_MB: z.coerce.number().int().positive().default(8192),
  /** Cache onnxruntime's optimized graphs under <cache dir>/optimized to cut cold start. */
  DARKROOM_OPTIMIZED_MODEL_CACHE: z.enum(["on", "off"]).default("on"),
  /** V8's heap headroom after each full GC, in % of the live heap (0: V8's own); origin/heap-tuning.ts. */
  DARKROOM_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(400),
});

/** Every variable the origin reads (test/infra-config.test.ts checks infra/ sets only these). */
export const ORIGIN_SETTINGS: readonly string[] = Object.keys(OriginEnvSchema.shape);

/**
 * `DARKROOM_*` variables the origin does not read: a typo or a removed setting would otherwise be
 * ignored without a word, and the default used instead.
 */
export function unknownSettings(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith("DARKROOM_") && !ORIGIN_SETTINGS.includes(name))
    .sort();
}

/** The development secret: printed in `.dev.vars.example` and the README, so never off loopback. */
export const DEV_ORIGIN_SECRET = "dev-origin-secret";
/** A secret off loopback must be at least this long (`openssl rand -base64 32` gives 44). */
const MIN_SECRET_LENGTH = 32;

const isLoopback = (host: string) =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);

/**
 * The secrets that verify the edge's signatures. An origin listening beyond loopback with no
 * secret, the development one or a short one would serve anyone who read the README, past the
 * edge's keys, safety checks and quotas: it refuses to start, saying what to set.
 */
function sharedSecrets(secrets: string[] | undefined, host: string): string[] {
  if (isLoopback(host)) return secrets?.length ? secrets : [DEV_ORIGIN_SECRET];
  const why = !secrets?.length
    ? "is not set"
    : secrets.includes(DEV_ORIGIN_SECRET)
      ? "is the public development secret"
      : secrets.some((s) => s.length < MIN_SECRET_LENGTH)
        ? `has a secret shorter than ${MIN_SECRET_LENGTH} characters`
        : null;
  if (why === null) return secrets as string[];
  throw new Error(
    `Invalid origin configuration: ORIGIN_SHARED_SECRET ${why}, and DARKROOM_HOST (${host}) is not a loopback address. Set it to the edge's ORIGIN_SHARED_SECRET (generate one with \`openssl rand -base64 32\`) and restart.`,
  );
}

export type OriginConfig = {
  modelDir: string;
  modelId: string | undefined;
  host: string;
  port: number;
  region: string;
  peers: PeerEntry[];
  sharedSecrets: string[];
  providers: Array<"cuda" | "cpu">;
  intraOpThreads: number;
  intraOpSpinning: IntraOpSpinning;
  interOpThreads: number;
  runtimeThread: "worker" | "main";
  unetInstances: number | "auto";
  cudaDevice: number;
  drainTimeoutMs: number;
  graphWatchdogMs: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "silent";
  modelManifest: string | undefined;
  modelCacheDir: string;
  modelMemoryBytes: number;
  optimizedModelCache: boolean;
  heapGrowingPercent: number;
  benchNullOrigin: boolean;
  scheduler: "continuous" | "fifo";
  batchCalibration: "auto" | "off";
};

/** `VAR=` (as compose files and templates leave it) means unset: a default, never "" or 0. */
function withoutEmpty(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value?.trim()));
}

export function loadOriginConfig(given: NodeJS.ProcessEnv = process.env): OriginConfig {
  const env = withoutEmpty(given);
  const parsed = OriginEnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Invalid origin configuration: ${issue?.path.join(".")}: ${issue?.message}. Fix the environment variable and restart.`,
    );
  }
  const e = parsed.data;
  let peers: PeerEntry[];
  try {
    peers = parsePeers(e.DARKROOM_PEERS);
  } catch (error) {
    throw new Error(
      `Invalid origin configuration: ${(error as Error).message}. Fix it and restart.`,
    );
  }
  return {
    modelDir: e.DARKROOM_MODEL_DIR,
    modelId: e.DARKROOM_MODEL_ID,
    host: e.DARKROOM_HOST,
    port: e.DARKROOM_PORT,
    region: e.DARKROOM_REGION,
    peers,
    sharedSecrets: sharedSecrets(e.ORIGIN_SHARED_SECRET, e.DARKROOM_HOST),
    providers: e.DARKROOM_PROVIDERS,
    intraOpThreads: e.DARKROOM_INTRA_OP_THREADS,
    intraOpSpinning: e.DARKROOM_INTRA_OP_SPINNING,
    interOpThreads: e.DARKROOM_INTER_OP_THREADS,
    runtimeThread:
      e.DARKROOM_RUNTIME_THREAD === "auto"
        ? e.DARKROOM_PROVIDERS[0] === "cuda"
          ? "worker"
          : "main"
        : e.DARKROOM_RUNTIME_THREAD,
    unetInstances: e.DARKROOM_UNET_INSTANCES,
    cudaDevice: e.DARKROOM_CUDA_DEVICE,
    drainTimeoutMs: e.DARKROOM_DRAIN_TIMEOUT_MS,
    graphWatchdogMs: e.DARKROOM_GRAPH_WATCHDOG_MS,
    logLevel: e.DARKROOM_LOG_LEVEL,
    modelManifest: e.DARKROOM_MODEL_MANIFEST,
    modelCacheDir: e.DARKROOM_MODEL_CACHE_DIR ?? defaultModelCacheDir(env),
    modelMemoryBytes: e.DARKROOM_MODEL_MEMORY_MB * 1024 * 1024,
    optimizedModelCache: e.DARKROOM_OPTIMIZED_MODEL_CACHE === "on",
    heapGrowingPercent: e.DARKROOM_HEAP_GROWING_PERCENT,
    scheduler: e.DARKROOM_SCHEDULER,
    batchCalibration: e.DARKROOM_BATCH_CALIBRATION,
    benchNullOrigin:
      e.DARKROOM_BENCH_NULL_ORIGIN === "1" || e.DARKROOM_BENCH_NULL_ORIGIN === "true",
  };
}
