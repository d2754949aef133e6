// The training noise schedule: betas, cumulative alphas (ᾱ) and the Karras sigmas σ = √((1−ᾱ)/ᾱ).
import { linspace } from "./numpy-compat";
import type { BetaSchedule } from "./scheduler-config";

export interface NoiseScheduleConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas?: readonly number[] | undefined;
  rescale_betas_zero_snr: boolean;
}

// Everything here is float64. diffusers builds scaled_linear in float32, but float64 is what
// reproduces the published SD values to 4 decimals (σ(999) = 14.6146; float32 gives 14.6147).

/** diffusers' `betas_for_alpha_bar` with the Glide cosine ᾱ(t) and max β 0.999. */
function cosineBetas(steps: number): Float64Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: steps }, (_, i) =>
    Math.min(1 - alphaBar((i + 1) / steps) / alphaBar(i / steps), 0.999),
  );
}

/** Rescales betas so ᾱ at the last timestep is exactly 0 (Lin et al. 2023, Algorithm 1). */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const sqrtBar = Float64Array.from(cumprod(betas.map((b) => 1 - b)), Math.sqrt);
  const first = sqrtBar[0] as number;
  const last = sqrtBar[sqrtBar.length - 1] as number;
  const scale = first / (first - last);
  const bar = sqrtBar.map((s) => ((s - last) * scale) ** 2);
  return bar.map((value, i) => (i === 0 ? 1 - value : 1 - value / (bar[i - 1] as number)));
}

export function betas(config: NoiseScheduleConfig): Float64Array {
  const steps = config.num_train_timesteps;
  let result: Float64Array;
  if (config.trained_betas) result = Float64Array.from(config.trained_betas);
  else if (config.beta_schedule === "linear") {
    result = Float64Array.from(linspace(config.beta_start, config.beta_end, steps));
  } else if (config.beta_schedule === "scaled_linear") {
    const roots = linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), steps);
    result = Float64Array.from(roots, (r) => r * r);
  } else result = cosineBetas(steps);
  return config.rescale_betas_zero_snr ? rescaleZeroTerminalSnr(result) : result;
}

function cumprod(values: Float64Array): Float64Array {
  let product = 1;
  return values.map((value) => {
    product *= value;
    return product;
  });
}

/** ᾱ_t = ∏_{s≤t} (1 − β_s), indexed by training timestep 0 … num_train_timesteps − 1. */
export function alphasCumprod(config: NoiseScheduleConfig): Float64Array {
  return cumprod(betas(config).map((b) => 1 - b));
}

/** σ(t) = √((1 − ᾱ_t) / ᾱ_t): the noise level of timestep t in the variance-exploding view. */
export function sigmaAt(alphasCumprodTable: ArrayLike<number>, t: number): number {
  const alpha = alphasCumprodTable[t];
  if (alpha === undefined) throw new RangeError(`sigmaAt: no timestep ${t}`);
  return Math.sqrt((1 - alpha) / alpha);
}

/** σ for every training timestep, ascending with t (σ(0) smallest). */
export function trainingSigmas(alphasCumprodTable: Float64Array): Float64Array {
  return alphasCumprodTable.map((alpha) => Math.sqrt((1 - alpha) / alpha));
}
