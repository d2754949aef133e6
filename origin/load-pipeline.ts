// Builds a DiffusionPipeline from a model folder, generating the tiny model when the default is absent.
import { access } from "node:fs/promises";
import { join, resolve } from "node:path";
import { DiffusionPipeline } from "./engine/pipeline";
import { ensureTinyModel } from "./model/tiny";
import { fetchModel, ModelStore } from "./models/model-store";
import { ModelStoreError } from "./models/model-store-failure";
import { loadOnnxRuntime } from "./runtime/onnx-diffusion-runtime";
import type { IntraOpSpinning, SessionSettings } from "./runtime/ort-session";
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
  return { ...options, modelDir: fetched.dir, modelId: options.modelId ?? fetched.id };
}

/** Only the project's own default folder is generated on demand; a real export must exist. */
export async function loadPipeline(requested: PipelineOptions): Promise<DiffusionPipeline> {
  const options = await fromManifest(requested);
  const dir = resolve(options.modelDir);
  if (dir === resolve(DEFAULT_MODEL_DIR) && !(await present(join(dir, "model_index.json")))) {
    console.error(`darkroom: ${DEFAULT_MODEL_DIR} missing; generating the tiny model…`);
    await ensureTinyModel(dir);
  }
  const runtime =
    options.runtimeThread === "worker"
      ? await loadWorkerRuntime(dir, options)
      : await loadOnnxRuntime(dir, options);
  const tokenizer = await loadClipTokenizer(join(dir, "tokenizer"));
  return new DiffusionPipeline(runtime, tokenizer);
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
