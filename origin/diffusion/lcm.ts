// LCM (LCMScheduler): consistency-model sampling with fresh noise between steps and none after the last.
import { alphasCumprod } from "./betas";
import type { Scheduler, StepNoise } from "./scheduler";
import type { ResolvedSchedulerConfig } from "./scheduler-config";
import { checkStepArgs, drawNoise, elementwise } from "./step-args";
import { lcmTimesteps } from "./timesteps";
import { clamp, vpCoefficients } from "./vp-parameterization";

// σ_data of the consistency-model boundary condition, fixed at 0.5 in diffusers and the LCM paper.
const SIGMA_DATA = 0.5;

/** c_skip, c_out: at t·timestep_scaling ≫ σ_data the step returns (almost exactly) the x0 estimate. */
export function boundaryScalings(timestep: number, timestepScaling: number): [number, number] {
  const scaledT = timestep * timestepScaling;
  const denominator = scaledT * scaledT + SIGMA_DATA * SIGMA_DATA;
  return [(SIGMA_DATA * SIGMA_DATA) / denominator, scaledT / Math.sqrt(denominator)];
}

function alphaAt(alphas: Float64Array, t: number): number {
  const alpha = alphas[t];
  if (alpha === undefined) throw new RangeError(`lcm: timestep ${t} outside the training schedule`);
  return alpha;
}

/**
 * Timesteps come from the distillation grid (original_inference_steps), not timestep_spacing.
 * Each step computes denoised = c_out·x0 + c_skip·x; every step but the last re-noises it to the
 * next timestep with the step's noise, and the last returns `denoised` itself.
 */
export function lcmScheduler(config: ResolvedSchedulerConfig, steps: number): Scheduler {
  const alphas = alphasCumprod(config);
  const timesteps = lcmTimesteps(
    config.num_train_timesteps,
    config.original_inference_steps,
    steps,
  );
  const clipRange = config.clip_sample ? config.clip_sample_range : Number.POSITIVE_INFINITY;
  const scheduler: Scheduler = {
    name: "lcm",
    steps,
    timesteps,
    initNoiseSigma: 1,
    scaleModelInput(sample, step) {
      checkStepArgs(scheduler, step, sample);
      return sample.slice();
    },
    step(modelOutput, step, sample, noise: StepNoise) {
      checkStepArgs(scheduler, step, sample, modelOutput);
      const t = timesteps[step] as number;
      const c = vpCoefficients(config.prediction_type, alphaAt(alphas, t));
      const [cSkip, cOut] = boundaryScalings(t, config.timestep_scaling);
      const denoised = elementwise(sample, (x, i) => {
        const x0 = c.x0FromSample * x + c.x0FromOutput * (modelOutput[i] as number);
        return cOut * clamp(x0, clipRange) + cSkip * x;
      });
      if (step === steps - 1) return denoised;
      const next = alphaAt(alphas, timesteps[step + 1] as number);
      const z = drawNoise(noise, sample.length);
      const [toX0, toNoise] = [Math.sqrt(next), Math.sqrt(1 - next)];
      return elementwise(denoised, (d, i) => toX0 * d + toNoise * (z[i] as number));
    },
  };
  return scheduler;
}
