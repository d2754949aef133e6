// Which training timesteps an N-step run visits (diffusers' spacing rules) and Euler's σ per step.
import { arange, interpAtIndex, linspace, roundHalfEven } from "./numpy-compat";
import type { TimestepSpacing } from "./scheduler-config";

export interface SpacingOptions {
  spacing: TimestepSpacing;
  trainSteps: number;
  steps: number;
  stepsOffset: number;
}

function checkSteps(trainSteps: number, steps: number): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > trainSteps) {
    throw new RangeError(`steps must be an integer in 1..${trainSteps}, got ${steps}`);
  }
}

// leading: multiples of T // N counted up from 0, plus steps_offset (SD 1.x ships offset 1).
function leading(trainSteps: number, steps: number, offset: number): number[] {
  const ratio = Math.floor(trainSteps / steps);
  return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + offset);
}

// trailing: counted down from T by T / N (a float), then shifted by −1, so it always starts at T − 1.
// For some N (61, 103, … with T = 1000) np.arange's float step yields an (N+1)-th value ≈ 0,
// i.e. timestep −1, in diffusers too; it is dropped here so a run has exactly N steps.
function trailing(trainSteps: number, steps: number): number[] {
  return arange(trainSteps, 0, -trainSteps / steps)
    .slice(0, steps)
    .map((t) => roundHalfEven(t) - 1);
}

/**
 * Euler's (EulerDiscrete / EulerAncestral) timesteps, as float32 values: `linspace` gives
 * fractional timesteps (e.g. 946.42102 for N = 20) that the unet receives as floats.
 */
export function eulerTimesteps(options: SpacingOptions): number[] {
  const { spacing, trainSteps, steps, stepsOffset } = options;
  checkSteps(trainSteps, steps);
  if (spacing === "linspace")
    return linspace(0, trainSteps - 1, steps)
      .map(Math.fround)
      .reverse();
  if (spacing === "leading") return leading(trainSteps, steps, stepsOffset);
  return trailing(trainSteps, steps);
}

/** DDIM's timesteps: integers; `linspace` is rounded half-to-even (np.round), then int64. */
export function ddimTimesteps(options: SpacingOptions): number[] {
  const { spacing, trainSteps, steps, stepsOffset } = options;
  checkSteps(trainSteps, steps);
  if (spacing === "linspace")
    return linspace(0, trainSteps - 1, steps)
      .map(roundHalfEven)
      .reverse();
  if (spacing === "leading") return leading(trainSteps, steps, stepsOffset);
  return trailing(trainSteps, steps);
}

/**
 * LCMScheduler's timesteps, which ignore timestep_spacing: the distillation grid
 * k·j − 1 (k = T // originalSteps, j = 1 … originalSteps), descending, sampled at
 * floor(linspace(0, originalSteps, N, endpoint = false)). N = 4 of 50 → [999, 759, 499, 259].
 */
export function lcmTimesteps(trainSteps: number, originalSteps: number, steps: number): number[] {
  if (originalSteps > trainSteps) {
    throw new RangeError(`original_inference_steps ${originalSteps} exceeds ${trainSteps}`);
  }
  checkSteps(originalSteps, steps);
  const k = Math.floor(trainSteps / originalSteps);
  const grid = Array.from({ length: originalSteps }, (_, j) => (originalSteps - j) * k - 1);
  return linspace(0, originalSteps, steps, false).map((x) => grid[Math.floor(x)] as number);
}

/**
 * Euler's per-step σ: the training σ table interpolated at each (possibly fractional) timestep,
 * as np.interp does, then `finalSigma` (0, or σ(0) for final_sigmas_type "sigma_min") appended.
 * Values are rounded to float32 like diffusers' `sigmas` tensor; length is steps + 1.
 */
export function eulerSigmas(
  timesteps: readonly number[],
  trainingSigmaTable: ArrayLike<number>,
  finalSigma: number,
): number[] {
  return [...timesteps.map((t) => interpAtIndex(t, trainingSigmaTable)), finalSigma].map(
    Math.fround,
  );
}
