// The sampler contract (immutable per-run tables, a pure step function per image row) and its factory.
import { ddimScheduler } from "./ddim";
import { eulerAncestralScheduler, eulerScheduler } from "./euler";
import { lcmScheduler } from "./lcm";
import { resolveSchedulerConfig, type SchedulerConfig } from "./scheduler-config";

export type SchedulerName = "euler" | "euler_ancestral" | "ddim" | "lcm";

export const SCHEDULER_NAMES: readonly SchedulerName[] = [
  "euler",
  "euler_ancestral",
  "ddim",
  "lcm",
];

/** N(0, 1) noise of the requested length, deterministic per (seed, step); see noise.ts. */
export type StepNoise = (length: number) => Float32Array;

/**
 * A sampler for one run length. It holds no per-image state: the caller keeps each row's latent
 * and step index, so rows can be batched, paused, resumed or re-entered from a cached latent at
 * step k, and any caller may advance any row at any time.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  readonly steps: number;
  /** Model timestep fed to the unet at step i (fractional for Euler with linspace spacing). */
  readonly timesteps: readonly number[];
  /** Initial latents = N(0, 1) noise × this. */
  readonly initNoiseSigma: number;
  /** The unet input for `sample` at `step`, as a new array. */
  scaleModelInput(sample: Float32Array, step: number): Float32Array;
  /** x_{step+1} from the unet output at `step`; a new array, and a pure function of its inputs. */
  step(
    modelOutput: Float32Array,
    step: number,
    sample: Float32Array,
    noise: StepNoise,
  ): Float32Array;
}

/**
 * Config options diffusers would honour for this sampler that darkroom does not implement.
 * The model loader checks every sampler a tier offers with it at start-up
 * (runtime/model-description.ts); createScheduler throws on a non-empty answer rather than
 * silently sampling a different schedule.
 */
export function unsupportedFeatures(name: SchedulerName, config: SchedulerConfig): string[] {
  const problems: string[] = [];
  if (name === "euler") {
    if (config.use_karras_sigmas) problems.push("use_karras_sigmas");
    if (config.use_exponential_sigmas) problems.push("use_exponential_sigmas");
    if (config.use_beta_sigmas) problems.push("use_beta_sigmas");
    if (config.interpolation_type !== "linear") {
      problems.push(`interpolation_type ${config.interpolation_type}`);
    }
  }
  if ((name === "ddim" || name === "lcm") && config.thresholding) problems.push("thresholding");
  return problems;
}

export function createScheduler(
  name: SchedulerName,
  config: SchedulerConfig,
  steps: number,
): Scheduler {
  const problems = unsupportedFeatures(name, config);
  if (problems.length > 0) {
    throw new Error(`${name} scheduler: unsupported config option(s): ${problems.join(", ")}`);
  }
  const resolved = resolveSchedulerConfig(name, config);
  switch (name) {
    case "euler":
      return eulerScheduler(resolved, steps);
    case "euler_ancestral":
      return eulerAncestralScheduler(resolved, steps);
    case "ddim":
      return ddimScheduler(resolved, steps);
    case "lcm":
      return lcmScheduler(resolved, steps);
  }
}
