// Euler (EulerDiscreteScheduler) and Euler ancestral samplers, in the σ (variance-exploding) view.
import { alphasCumprod, trainingSigmas } from "./betas";
import type { Scheduler, StepNoise } from "./scheduler";
import type { ResolvedSchedulerConfig } from "./scheduler-config";
import { checkStepArgs, drawNoise, scaled } from "./step-args";
import { eulerSigmas, eulerTimesteps } from "./timesteps";

export interface EulerScheduler extends Scheduler {
  /** σ at each step, then the final σ (0 unless final_sigmas_type is "sigma_min"): steps + 1. */
  readonly sigmas: readonly number[];
}

interface EulerSchedule {
  timesteps: number[];
  sigmas: number[];
  initNoiseSigma: number;
}

function eulerSchedule(
  config: ResolvedSchedulerConfig,
  steps: number,
  ancestral: boolean,
): EulerSchedule {
  const alphas = alphasCumprod(config);
  // Zero-terminal-SNR makes ᾱ(T−1) = 0 and σ infinite; diffusers nudges it to 2^-24.
  if (config.rescale_betas_zero_snr) alphas[alphas.length - 1] = 2 ** -24;
  const table = trainingSigmas(alphas);
  const discrete = eulerTimesteps({
    spacing: config.timestep_spacing,
    trainSteps: config.num_train_timesteps,
    steps,
    stepsOffset: config.steps_offset,
  });
  const sigmaMin = !ancestral && config.final_sigmas_type === "sigma_min";
  const sigmas = eulerSigmas(discrete, table, sigmaMin ? (table[0] as number) : 0);
  const maxSigma = Math.max(...sigmas);
  // diffusers: leading spacing starts from √(σ_max² + 1), linspace/trailing from σ_max.
  const initNoiseSigma =
    config.timestep_spacing === "leading" ? Math.fround(Math.hypot(maxSigma, 1)) : maxSigma;
  const continuous =
    !ancestral &&
    config.timestep_type === "continuous" &&
    config.prediction_type === "v_prediction";
  const timesteps = continuous
    ? sigmas.slice(0, -1).map((s) => Math.fround(0.25 * Math.log(s)))
    : discrete;
  return { timesteps, sigmas, initNoiseSigma };
}

/**
 * x0 = a·x + b·m for the model's parameterization at noise level σ; the step's derivative is then
 * (x − x0)/σ. For `sample` x0 is the output itself, as in diffusers' EulerDiscreteScheduler
 * (its ancestral sibling raises NotImplementedError there; the same x0 serves it here).
 */
function x0Coefficients(config: ResolvedSchedulerConfig, sigma: number): [number, number] {
  if (config.prediction_type === "epsilon") return [1, -sigma];
  if (config.prediction_type === "sample") return [0, 1];
  const norm = sigma * sigma + 1;
  return [1 / norm, -sigma / Math.sqrt(norm)];
}

function sigmaPair(sigmas: readonly number[], step: number): [number, number] {
  return [sigmas[step] as number, sigmas[step + 1] as number];
}

export function eulerScheduler(config: ResolvedSchedulerConfig, steps: number): EulerScheduler {
  const schedule = eulerSchedule(config, steps, false);
  const scheduler: EulerScheduler = {
    name: "euler",
    steps,
    ...schedule,
    scaleModelInput(sample, step) {
      checkStepArgs(scheduler, step, sample);
      return scaled(sample, 1 / Math.hypot(schedule.sigmas[step] as number, 1));
    },
    step(modelOutput, step, sample) {
      checkStepArgs(scheduler, step, sample, modelOutput);
      const [sigma, next] = sigmaPair(schedule.sigmas, step);
      const [a, b] = x0Coefficients(config, sigma);
      const dt = next - sigma;
      // A plain loop rather than elementwise(): this runs once per image and step on the batcher's
      // thread, and V8 does not inline a callback shared by several samplers.
      const out = new Float32Array(sample.length);
      for (let i = 0; i < out.length; i++) {
        const x = sample[i] as number;
        const x0 = a * x + b * (modelOutput[i] as number);
        out[i] = x + ((x - x0) / sigma) * dt;
      }
      return out;
    },
  };
  return scheduler;
}

/**
 * Euler ancestral: steps down to σ_down with the ODE, then adds fresh noise of size σ_up so the
 * marginal lands on σ_next (σ_up² + σ_down² = σ_next²). The last step (σ_next = 0) adds none and
 * never asks for noise.
 */
export function eulerAncestralScheduler(
  config: ResolvedSchedulerConfig,
  steps: number,
): EulerScheduler {
  const schedule = eulerSchedule(config, steps, true);
  const scheduler: EulerScheduler = {
    name: "euler_ancestral",
    steps,
    ...schedule,
    scaleModelInput(sample, step) {
      checkStepArgs(scheduler, step, sample);
      return scaled(sample, 1 / Math.hypot(schedule.sigmas[step] as number, 1));
    },
    step(modelOutput, step, sample, noise: StepNoise) {
      checkStepArgs(scheduler, step, sample, modelOutput);
      const [sigma, next] = sigmaPair(schedule.sigmas, step);
      const [a, b] = x0Coefficients(config, sigma);
      const sigmaUp = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
      const sigmaDown = Math.sqrt(Math.max(0, next * next - sigmaUp * sigmaUp));
      const dt = sigmaDown - sigma;
      const z = sigmaUp > 0 ? drawNoise(noise, sample.length) : undefined;
      const out = new Float32Array(sample.length);
      for (let i = 0; i < out.length; i++) {
        const x = sample[i] as number;
        const x0 = a * x + b * (modelOutput[i] as number);
        const deterministic = x + ((x - x0) / sigma) * dt;
        out[i] = z ? deterministic + (z[i] as number) * sigmaUp : deterministic;
      }
      return out;
    },
  };
  return scheduler;
}
