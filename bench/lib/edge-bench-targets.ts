// bench:edge's three targets on one null origin: direct signed calls, the darkroom edge, and a pass-through control.
import { randomBytes } from "node:crypto";
import type { GenerateRequest } from "../../protocol/generate";
import { signRequest } from "../../protocol/signing";
import { createTenant, issueKey } from "../../scripts/local-stack/admin-client";
import type { LoopRequest } from "./closed-loop";
import { type OriginProcess, startOriginProcess } from "./origin-process";
import {
  applyMigrations,
  type BenchStorage,
  benchStorage,
  bundleWorker,
  compatibilityDate,
  startWorker,
} from "./worker-bundle";

export type TargetName = "direct" | "control" | "edge";

export interface Target {
  name: TargetName;
  url: string;
  prepare: () => Promise<LoopRequest> | LoopRequest;
}

export interface BenchTargets {
  targets: Target[];
  /** Where the edge's local D1/KV/DO/R2 lived during the run. */
  storage: BenchStorage;
  stop(): Promise<void>;
}

export const BENCH_PROMPT = "a lighthouse on a cliff at dusk, oil painting, warm light";
const GENERATE_PATH = "/internal/v1/generate";
const ADMIN_TOKEN = "bench-admin-token";

/** The body the edge would send for a fast 256×256 request, with a fresh id (origins refuse replays). */
function originBody(requestId: string): GenerateRequest {
  return {
    request_id: requestId,
    tenant_id: "bench",
    tier: "fast",
    model: "darkroom-sd",
    prompt: BENCH_PROMPT,
    negative_prompt: "",
    n: 1,
    width: 256,
    height: 256,
    steps: 2,
    guidance_scale: 0,
    seed: 7,
    scheduler: "euler",
    output_format: "png",
    deadline_ms: 5_000,
    priority: 5,
    safety: { decision: "allow", policy_version: "bench" },
    allow_degrade: false,
    store_prompt: false,
  };
}

/** Signing happens in `prepare`, before the clock starts; ids count across rounds, never reused. */
function signedOriginCall(secret: string, prefix: string) {
  let sent = 0;
  return async (): Promise<LoopRequest> => {
    const body = JSON.stringify(originBody(`${prefix}-${sent++}`));
    const signature = await signRequest(secret, { method: "POST", path: GENERATE_PATH, body });
    return {
      path: GENERATE_PATH,
      headers: { ...signature, "content-type": "application/json" },
      body,
    };
  };
}

/**
 * The darkroom edge under the Miniflare API; `entry` and `migrations` may be another checkout's
 * (bench:ab). Stop it with `stop`.
 */
export async function startEdge(
  originUrl: string,
  secret: string,
  date: string,
  storage: object,
  entry = "edge/index.ts",
  migrations = "migrations",
): Promise<Awaited<ReturnType<typeof startWorker>>> {
  const inspectorPort = Number(process.env.BENCH_INSPECTOR_PORT ?? 0);
  const worker = await startWorker({
    ...storage,
    ...(inspectorPort ? { inspectorPort } : {}),
    script: await bundleWorker(entry),
    compatibilityDate: date,
    d1Databases: { DB: "bench-d1" },
    kvNamespaces: { KEYS_CACHE: "bench-kv" },
    r2Buckets: { IMAGES: "bench-r2" },
    // Every Durable Object wrangler.toml binds: without REGION_BOARD each request would route blind
    // and log the failure, which is neither the edge's real work nor production's.
    durableObjects: {
      TENANT_GATE: { className: "TenantGate", useSQLite: true },
      REGION_BOARD: { className: "RegionBoard", useSQLite: true },
      JOBS: { className: "GenerationJob", useSQLite: true },
    },
    bindings: {
      ENVIRONMENT: "development",
      ADMIN_TOKEN,
      ORIGIN_SHARED_SECRET: secret,
      ORIGINS: JSON.stringify([{ region: "us", url: originUrl }]),
    },
  });
  try {
    await applyMigrations(worker.mf, "DB", migrations);
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}

/**
 * A tenant and key on a fresh edge, and the fast 256² request the benchmark sends with it. Limits
 * far above the benchmark's load: the run must measure the gate's cost, not its refusals.
 */
export async function benchTenantRequest(edgeUrl: string): Promise<LoopRequest> {
  const tenant = await createTenant(edgeUrl, ADMIN_TOKEN, {
    name: "bench",
    rate_limit_per_minute: 1_000_000,
    max_concurrency: 1_000,
    monthly_image_quota: 1_000_000_000,
  });
  const key = await issueKey(edgeUrl, ADMIN_TOKEN, tenant.id, "bench");
  const body = JSON.stringify({
    prompt: BENCH_PROMPT,
    size: "256x256",
    quality: "low",
    n: 1,
    response_format: "b64_json",
  });
  const headers = { authorization: `Bearer ${key.key}`, "content-type": "application/json" };
  return { path: "/v1/images/generations", headers, body };
}

/** `progress` gets a line as each piece starts (bench:edge prints them on stderr). */
export async function startBenchTargets(
  originPort: number,
  storageMode: BenchStorage,
  progress: (line: string) => void = () => {},
): Promise<BenchTargets> {
  const secret = randomBytes(24).toString("base64url");
  const storage = await benchStorage(storageMode);
  const date = await compatibilityDate();
  const run = randomBytes(4).toString("hex");
  let origin: OriginProcess | undefined;
  const workers: Array<() => Promise<void>> = [];
  const stop = async () => {
    await Promise.all(workers.map((stopWorker) => stopWorker()));
    await origin?.stop();
    await storage.cleanup();
  };
  try {
    progress(`starting the null origin on port ${originPort}…`);
    origin = await startOriginProcess({
      port: originPort,
      region: "us",
      secret,
      env: { DARKROOM_BENCH_NULL_ORIGIN: "1", DARKROOM_LOG_LEVEL: "warn" },
    });
    progress(`bundling and starting the edge (storage: ${storage.mode})…`);
    const edge = await startEdge(origin.url, secret, date, storage.options);
    workers.push(edge.stop);
    progress("bundling and starting the pass-through control…");
    const control = await startWorker({
      script: await bundleWorker("bench/lib/pass-through-worker.ts"),
      compatibilityDate: date,
      bindings: { ORIGIN_URL: origin.url },
    });
    workers.push(control.stop);
    const edgeUrl = edge.url;
    progress("creating the bench tenant and key…");
    const edgeRequest = await benchTenantRequest(edgeUrl);
    const targets: Target[] = [
      { name: "direct", url: origin.url, prepare: signedOriginCall(secret, `direct-${run}`) },
      { name: "control", url: control.url, prepare: signedOriginCall(secret, `control-${run}`) },
      {
        name: "edge",
        url: edgeUrl,
        prepare: () => edgeRequest,
      },
    ];
    return { targets, storage: storage.mode, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
