// What a loaded model is (ModelInfo): graph shapes first, configs second, checked at start-up.
import { basename, join } from "node:path";
import { TIER_SPECS, TIERS } from "../../protocol/tiers";
import { createScheduler, type SchedulerName, unsupportedFeatures } from "../diffusion/scheduler";
import { parseSchedulerConfig, type SchedulerConfig } from "../diffusion/scheduler-config";
import type { ModelInfo } from "../engine/diffusion-runtime";
import { fixedDim, type TimestepCondForm, type TimestepForm } from "./graph-contract";
import { contentHash, ModelLayoutError, readJson } from "./optimum-layout";
import type { TensorMeta } from "./ort-session";

type Cfg = Record<string, unknown>;

const SCHEDULER_FILE = "scheduler/scheduler_config.json";

const numberOr = (value: unknown): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : null;

export type DescribedModel = ModelInfo & {
  /**
   * Width of the UNet's `timestep_cond` input (LCM's guidance-scale embedding, diffusers'
   * time_cond_proj_dim); null when the model takes no guidance input and guidance means CFG.
   */
  guidanceEmbeddingDim: number | null;
};

/**
 * scheduler_config.json, parsed and checked against every sampler the tiers offer. Read before
 * any graph is opened: a real UNet takes seconds to load, a config mistake should not wait for it.
 */
export async function readSchedulerConfig(dir: string): Promise<SchedulerConfig> {
  const path = join(dir, SCHEDULER_FILE);
  const config = parseSchedulerConfig(await readJson(path));
  checkServedSchedulers(config, path);
  return config;
}

export interface DeclaredGraphs {
  unetInputs: readonly TensorMeta[];
  /** Null in a UNet-only runtime. */
  textOutputs: readonly TensorMeta[] | null;
  timestep: TimestepForm;
  timestepCond: TimestepCondForm | null;
  executionProvider: string;
  onnxruntimeVersion: string;
}

export async function describeModel(
  dir: string,
  modelId: string | undefined,
  schedulerConfig: SchedulerConfig,
  graphs: DeclaredGraphs,
): Promise<DescribedModel> {
  const unetCfg = await readJson<Cfg>(join(dir, "unet/config.json"), {});
  const vaeCfg = await readJson<Cfg>(join(dir, "vae_decoder/config.json"), {});
  const textCfg = await readJson<Cfg>(join(dir, "text_encoder/config.json"), {});
  const blocks = Array.isArray(vaeCfg.block_out_channels) ? vaeCfg.block_out_channels.length : 4;
  const { unetInputs, textOutputs } = graphs;
  return {
    id: modelId ?? basename(dir),
    sha256: await contentHash(dir),
    // The graph's own fixed sizes are what it will accept; configs (optional in a folder) and
    // SD 1.x's sizes are fallbacks for exports that leave these axes dynamic.
    latentChannels: fixedDim(unetInputs, "sample", 1) ?? numberOr(unetCfg.in_channels) ?? 4,
    vaeScaleFactor: 2 ** (blocks - 1),
    scalingFactor: numberOr(vaeCfg.scaling_factor) ?? 0.18215,
    hiddenSize:
      fixedDim(unetInputs, "encoder_hidden_states", 2) ??
      (textOutputs && fixedDim(textOutputs, "last_hidden_state", 2)) ??
      numberOr(unetCfg.cross_attention_dim) ??
      numberOr(textCfg.hidden_size) ??
      768,
    seqLen: numberOr(textCfg.max_position_embeddings) ?? 77,
    perRowTimestep: graphs.timestep.rank === "batch",
    guidanceEmbeddingDim: guidanceEmbeddingDim(unetCfg, graphs.timestepCond),
    schedulerConfig,
    executionProvider: graphs.executionProvider,
    onnxruntimeVersion: graphs.onnxruntimeVersion,
  };
}

/** time_cond_proj_dim from unet/config.json, else the graph's declared width; they must agree. */
function guidanceEmbeddingDim(unetCfg: Cfg, form: TimestepCondForm | null): number | null {
  if (!form) return null;
  const configured = numberOr(unetCfg.time_cond_proj_dim);
  if (configured !== null && form.dim !== null && configured !== form.dim) {
    throw new ModelLayoutError(
      `unet/config.json sets time_cond_proj_dim ${configured} but unet/model.onnx declares ` +
        `timestep_cond [batch, ${form.dim}]: the config belongs to another export`,
    );
  }
  const dim = configured ?? form.dim;
  if (dim === null || !Number.isInteger(dim) || dim < 4) {
    throw new ModelLayoutError(
      "unet/model.onnx takes timestep_cond but its width is unknown: set time_cond_proj_dim " +
        `(an integer ≥ 4) in unet/config.json (found ${String(unetCfg.time_cond_proj_dim)})`,
    );
  }
  return dim;
}

/**
 * Every sampler a tier may ask for must run on this config: an option diffusers would honour and
 * darkroom does not implement (Karras sigmas, thresholding, …) would otherwise load, report ready
 * and then fail every request for that sampler. Building each at its tier's step bounds also
 * catches run lengths the config cannot serve (LCM beyond original_inference_steps).
 */
export function checkServedSchedulers(config: SchedulerConfig, file: string): void {
  const problems: string[] = [];
  for (const [name, served] of servedSchedulers()) {
    const where = `${name} (${served.tiers.join(", ")} tier${served.tiers.length > 1 ? "s" : ""})`;
    const unsupported = unsupportedFeatures(name, config);
    if (unsupported.length > 0) {
      problems.push(`${where}: unsupported option(s) ${unsupported.join(", ")}`);
      continue;
    }
    for (const steps of served.steps) {
      try {
        createScheduler(name, config, steps);
      } catch (error) {
        problems.push(`${where} at ${steps} steps: ${(error as Error).message}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ModelLayoutError(
      `${file}: darkroom cannot sample this model as configured; ${problems.join("; ")}. ` +
        "Remove these options (or set them to diffusers' defaults) if the model does not need them; " +
        "darkroom refuses rather than sample a different schedule than diffusers would.",
    );
  }
}

/** Each sampler some tier offers: those tiers, and their fewest and most steps. */
function servedSchedulers(): Map<SchedulerName, { tiers: string[]; steps: Set<number> }> {
  const served = new Map<SchedulerName, { tiers: string[]; steps: Set<number> }>();
  for (const tier of TIERS) {
    const spec = TIER_SPECS[tier];
    for (const name of spec.schedulers) {
      const entry = served.get(name) ?? { tiers: [], steps: new Set<number>() };
      entry.tiers.push(tier);
      entry.steps.add(spec.minSteps).add(spec.maxSteps);
      served.set(name, entry);
    }
  }
  return served;
}
