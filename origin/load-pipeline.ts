// Builds a DiffusionPipeline from a model folder, generating the tiny model when the default is absent.

import { access } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { servedModelId } from "../protocol/model-id";
import type { DiffusionRuntime } from "./engine/diffusion-runtime";
import { DiffusionPipeline } from "./engine/pipeline";
import { estimateModelBytes } from "./models/model-memory";
import { fetchModel, ModelStore } from "./models/model-store";
import { ModelStoreError } from "./models/model-store-failure";
import { loadOnnxRuntime } from "./runtime/onnx-diffusion-runtime";
import type { IntraOpSpinning, SessionSettings } from "./runtime/ort-session";
import {
  planUnetInstances,
  SplitUnetRuntime,
  type UnetInstancesSetting,
} from "./runtime/split-runtime";
import { loadWorkerRuntime } from "./runtime/worker-runtime";
import { loadClipTokenizer } from "./tokenizer/clip-tokenizer";

export const DEFAULT_MODEL_DIR = "models/tiny-sd";

export interface PipelineOptions extends SessionSettings {
  modelDir: string;
  modelId?: string | undefined;
  /** Path or URL of a model manifest: fetched into `modelCacheDir`, then loaded (modelDir unused). */
  modelManifest?: string | undefined;
  /** Where the graphs run: a worker thread (the server) or the calling thread (CLI, tests). */
  runtimeThread?: RuntimeThread | undefined;
  /** UNet instances to split batches across (runtime/split-runtime.ts); unset: none. */
  unetInstances?: UnetInstancesSetting | undefined;
  /** The model memory budget `auto` instances must fit in (DARKROOM_MODEL_MEMORY_MB). */
  memoryBudgetBytes?: number | undefined;
}

export type RuntimeThread = "worker" | "main";

async function present(path: string) {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A manifest is fetched (verified, resumable) into the cache; its folder is then loaded as usual. */
async function fromManifest(options: PipelineOptions): Promise<PipelineOptions> {
  if (!options.modelManifest) return options;
  const store = new ModelStore({ cacheDir: options.modelCacheDir ?? "models/cache" });
  const fetched = await fetchModel(options.modelManifest, store);
  if (!fetched.ok) throw new ModelStoreError(fetched.failure);
  return { ...options, modelDir: fetched.dir, modelId: options.modelId ?? servedId(fetched.id) };
}

/** The id a model is served under when none is configured (the edge's MODELS must list it). */
function servedId(source: string): string {
  const id = servedModelId(source);
  if (id === null) {
    throw new Error(
      `cannot derive a model id from "${source}": set DARKROOM_MODEL_ID to the id the edge's MODELS lists (letters, digits, '.', '_' and '-')`,
    );
  }
  return id;
}

/**
 * The generator (and its ONNX builder, a dev dependency) is imported only when it runs, so an
 * origin installed with `npm ci --omit=dev` serves real exports without it.
 */
async function generateTinyModel(dir: string): Promise<void> {
  let tiny: typeof import("./model/tiny");
  try {
    tiny = await import("./model/tiny");
  } catch (error) {
    throw new Error(
      `cannot generate the tiny model in ${dir}: its generator needs the development dependencies ` +
        `(npm ci, without --omit=dev); in production set DARKROOM_MODEL_DIR or ` +
        `DARKROOM_MODEL_MANIFEST to a real export (${(error as Error).message})`,
    );
  }
  await tiny.ensureTinyModel(dir);
}

/** Only the project's own default folder is generated on demand; a real export must exist. */
export async function loadPipeline(requested: PipelineOptions): Promise<DiffusionPipeline> {
  const fetched = await fromManifest(requested);
  const dir = resolve(fetched.modelDir);
  const options = { ...fetched, modelId: fetched.modelId ?? servedId(dir) };
  if (dir === resolve(DEFAULT_MODEL_DIR) && !(await present(join(dir, "model_index.json")))) {
    console.error(`darkroom: ${DEFAULT_MODEL_DIR} missing; generating the tiny model…`);
    await generateTinyModel(dir);
  }
  const primary =
    options.runtimeThread === "worker"
      ? await loadWorkerRuntime(dir, options)
      : await loadOnnxRuntime(dir, options);
  const runtime = await withUnetInstances(primary, dir, options);
  const tokenizer = await loadClipTokenizer(join(dir, "tokenizer"));
  return new DiffusionPipeline(runtime, tokenizer);
}

/**
 * Loads the planned UNet instances after the primary runtime (which has written the optimized-graph
 * cache they then read). They are an optimization: when one fails to load, the origin says why and
 * runs on the primary alone.
 */
async function withUnetInstances(
  primary: DiffusionRuntime,
  dir: string,
  options: PipelineOptions,
): Promise<DiffusionRuntime> {
  if (options.unetInstances === undefined) return primary;
  const plan = planUnetInstances(options.unetInstances, {
    provider: primary.model.executionProvider,
    threads: options.intraOpThreads > 0 ? options.intraOpThreads : availableParallelism(),
    modelBytes: await estimateModelBytes(dir),
    unetBytes: await estimateModelBytes(join(dir, "unet")),
    budgetBytes: options.memoryBudgetBytes ?? Number.POSITIVE_INFINITY,
  });
  if (plan.count < 2) {
    console.error(`darkroom: UNet batches run on one session (${plan.reason})`);
    return primary;
  }
  // The primary's providers: an explicit count on a CUDA host asks for CUDA instances, not CPU ones.
  const settings = { ...options, intraOpThreads: plan.threadsEach, graphs: "unet" as const };
  const loaded = await Promise.allSettled(
    Array.from({ length: plan.count }, (_, i) =>
      // With the primary on this thread, so is the first instance (split-runtime.ts says why).
      i === 0 && options.runtimeThread !== "worker"
        ? loadOnnxRuntime(dir, settings)
        : loadWorkerRuntime(dir, settings),
    ),
  );
  const instances = loaded.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = loaded.find((r) => r.status === "rejected");
  if (failed) {
    await Promise.all(instances.map((i) => i.dispose()));
    console.error(
      `darkroom: UNet instances failed to load (${(failed.reason as Error).message}); running on one session. Set DARKROOM_UNET_INSTANCES=0 to skip them.`,
    );
    return primary;
  }
  console.error(
    `darkroom: UNet batches split across ${plan.count} instances of ${plan.threadsEach} intra-op thread(s) each (${plan.reason}; DARKROOM_UNET_INSTANCES=0 turns this off)`,
  );
  return new SplitUnetRuntime(primary, instances);
}

export function sessionSettingsFrom(config: {
  providers: Array<"cuda" | "cpu">;
  intraOpThreads: number;
  intraOpSpinning?: IntraOpSpinning;
  interOpThreads: number;
  cudaDevice: number;
  modelCacheDir?: string;
  optimizedModelCache?: boolean;
}): SessionSettings {
  return {
    providers: config.providers,
    intraOpThreads: config.intraOpThreads,
    intraOpSpinning: config.intraOpSpinning,
    interOpThreads: config.interOpThreads,
    cudaDevice: config.cudaDevice,
    modelCacheDir: config.modelCacheDir,
    cacheOptimizedModels: config.optimizedModelCache,
  };
}
