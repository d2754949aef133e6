// Parses diffusers' scheduler/scheduler_config.json and fills in each scheduler class's own defaults.
import { z } from "zod";
import type { SchedulerName } from "./scheduler";

// diffusers writes `null` for "not set" (e.g. `trained_betas: null`); treat it as an absent key so
// the per-class default applies, exactly as diffusers' `from_config` does for missing keys.
function dropNulls(raw: unknown): unknown {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return raw;
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
}

export const betaScheduleSchema = z.enum(["linear", "scaled_linear", "squaredcos_cap_v2"]);
export const timestepSpacingSchema = z.enum(["linspace", "leading", "trailing"]);

// Keys whose diffusers default differs between scheduler classes stay optional here and are filled
// by `resolveSchedulerConfig`; keys with one default across classes get it now.
const shape = {
  _class_name: z.string().optional(),
  _diffusers_version: z.string().optional(),
  num_train_timesteps: z.number().int().min(2).default(1000),
  beta_start: z.number().positive().optional(),
  beta_end: z.number().positive().optional(),
  beta_schedule: betaScheduleSchema.optional(),
  trained_betas: z.array(z.number().min(0).max(1)).min(2).optional(),
  timestep_spacing: timestepSpacingSchema.optional(),
  steps_offset: z.number().int().min(0).default(0),
  prediction_type: z.enum(["epsilon", "v_prediction", "sample"]).default("epsilon"),
  set_alpha_to_one: z.boolean().optional(),
  clip_sample: z.boolean().optional(),
  clip_sample_range: z.number().positive().default(1),
  thresholding: z.boolean().default(false),
  original_inference_steps: z.number().int().positive().default(50),
  timestep_scaling: z.number().positive().default(10),
  rescale_betas_zero_snr: z.boolean().default(false),
  interpolation_type: z.string().default("linear"),
  timestep_type: z.enum(["discrete", "continuous"]).default("discrete"),
  final_sigmas_type: z.enum(["zero", "sigma_min"]).default("zero"),
  use_karras_sigmas: z.boolean().default(false),
  use_exponential_sigmas: z.boolean().default(false),
  use_beta_sigmas: z.boolean().default(false),
};

/** `scheduler_config.json`; unknown keys (`skip_prk_steps`, `sample_max_value`, …) pass through. */
export const schedulerConfigSchema = z.preprocess(
  dropNulls,
  z
    .looseObject(shape)
    .refine((c) => !c.trained_betas || c.trained_betas.length === c.num_train_timesteps, {
      message: "trained_betas must have num_train_timesteps entries",
      path: ["trained_betas"],
    }),
);

export type SchedulerConfig = z.output<typeof schedulerConfigSchema>;

/** Parses a scheduler_config.json body; throws an Error naming every bad field. */
export function parseSchedulerConfig(raw: unknown): SchedulerConfig {
  const result = schedulerConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new Error(`invalid scheduler_config.json: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

export type BetaSchedule = z.output<typeof betaScheduleSchema>;
export type TimestepSpacing = z.output<typeof timestepSpacingSchema>;

/** A config as one scheduler class sees it: every class-dependent key filled in. */
export type ResolvedSchedulerConfig = SchedulerConfig & {
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  timestep_spacing: TimestepSpacing;
  set_alpha_to_one: boolean;
  clip_sample: boolean;
};

type ClassDefaults = Pick<
  ResolvedSchedulerConfig,
  | "beta_start"
  | "beta_end"
  | "beta_schedule"
  | "timestep_spacing"
  | "set_alpha_to_one"
  | "clip_sample"
>;

// The `__init__` defaults of EulerDiscrete-, EulerAncestralDiscrete-, DDIM- and LCMScheduler.
// (Euler has no set_alpha_to_one / clip_sample; the values given for it are never read.)
const EULER_DEFAULTS: ClassDefaults = {
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: "linear",
  timestep_spacing: "linspace",
  set_alpha_to_one: true,
  clip_sample: false,
};

const CLASS_DEFAULTS: Record<SchedulerName, ClassDefaults> = {
  euler: EULER_DEFAULTS,
  euler_ancestral: EULER_DEFAULTS,
  ddim: { ...EULER_DEFAULTS, timestep_spacing: "leading", clip_sample: true },
  lcm: {
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: "scaled_linear",
    timestep_spacing: "leading",
    set_alpha_to_one: true,
    clip_sample: false,
  },
};

/** Fills the keys the file left out with the defaults of the diffusers class behind `name`. */
export function resolveSchedulerConfig(
  name: SchedulerName,
  config: SchedulerConfig,
): ResolvedSchedulerConfig {
  const defaults = CLASS_DEFAULTS[name];
  return {
    ...config,
    beta_start: config.beta_start ?? defaults.beta_start,
    beta_end: config.beta_end ?? defaults.beta_end,
    beta_schedule: config.beta_schedule ?? defaults.beta_schedule,
    timestep_spacing: config.timestep_spacing ?? defaults.timestep_spacing,
    set_alpha_to_one: config.set_alpha_to_one ?? defaults.set_alpha_to_one,
    clip_sample: config.clip_sample ?? defaults.clip_sample,
  };
}
