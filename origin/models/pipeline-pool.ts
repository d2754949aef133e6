// The model pool as the origin uses it: DiffusionPipelines from local folders or fetched manifests.
import type { DiffusionPipeline } from "../engine/pipeline";
import { loadPipeline } from "../load-pipeline";
import type { SessionSettings } from "../runtime/ort-session";
import { estimateModelBytes } from "./model-memory";
import { type Located, ModelPool } from "./model-pool";
import { fetchModel, type ModelStore } from "./model-store";

/** Where a model id comes from: a folder on disk, or a manifest (path or URL) for the store. */
export type ModelSource = { dir: string } | { manifest: string };

export interface PipelinePoolOptions {
  budgetBytes: number;
  sources: ReadonlyMap<string, ModelSource>;
  store: ModelStore;
  settings: SessionSettings;
}

export function createPipelinePool(options: PipelinePoolOptions): ModelPool<DiffusionPipeline> {
  const locate = async (id: string): Promise<Located> => {
    const source = options.sources.get(id);
    if (!source) {
      const known = [...options.sources.keys()].join(", ") || "none";
      return { ok: false, message: `Unknown model ${id}; this origin serves: ${known}.` };
    }
    if ("dir" in source) return { ok: true, dir: source.dir };
    const fetched = await fetchModel(source.manifest, options.store);
    return fetched.ok
      ? { ok: true, dir: fetched.dir }
      : { ok: false, message: fetched.failure.message };
  };
  return new ModelPool<DiffusionPipeline>({
    budgetBytes: options.budgetBytes,
    locate,
    estimate: estimateModelBytes,
    load: (dir, id) => loadPipeline({ ...options.settings, modelDir: dir, modelId: id }),
    unload: (pipeline) => pipeline.runtime.dispose(),
  });
}
