// Shared by the diffusion unit tests: SD-style configs and an oracle that knows the true noise.

import type { StepNoise } from "./scheduler";
import { parseSchedulerConfig, type SchedulerConfig } from "./scheduler-config";

/** Shaped like stabilityai/sd-turbo's scheduler_config.json, nulls and all. */
export const SD_TURBO_JSON = {
  _class_name: "EulerDiscreteScheduler",
  _diffusers_version: "0.24.0.dev0",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  clip_sample: false,
  interpolation_type: "linear",
  num_train_timesteps: 1000,
  prediction_type: "epsilon",
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: "trailing",
  timestep_type: "discrete",
  trained_betas: null,
  use_karras_sigmas: false,
};

/** SD betas with whatever else a test needs. */
export function sdConfig(overrides: Record<string, unknown> = {}): SchedulerConfig {
  return parseSchedulerConfig({
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: "scaled_linear",
    ...overrides,
  });
}

/** A small deterministic vector with values in roughly [-1, 1]. */
export function pattern(length: number, phase = 0): Float32Array {
  return Float32Array.from({ length }, (_, i) => Math.sin(1.7 * i + phase) * 0.9);
}

/** A StepNoise that fails the test if a scheduler asks it for anything. */
export const noNoise: StepNoise = () => {
  throw new Error("this step must not draw noise");
};

/** A StepNoise that records the lengths it was asked for and returns `values`. */
export function recordingNoise(values: (length: number) => Float32Array): {
  noise: StepNoise;
  calls: number[];
} {
  const calls: number[] = [];
  return {
    calls,
    noise: (length) => {
      calls.push(length);
      return values(length);
    },
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? max : Number.POSITIVE_INFINITY;
}
