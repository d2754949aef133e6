// DDIM (DDIMScheduler) with η = 0: the deterministic implicit sampler in the ᾱ (variance-preserving) view.
import { alphasCumprod } from "./betas";
import type { Scheduler } from "./scheduler";
import type { ResolvedSchedulerConfig } from "./scheduler-config";
import { checkStepArgs, elementwise } from "./step-args";
import { ddimTimesteps } from "./timesteps";
import { clamp, vpCoefficients } from "./vp-parameterization";

function alphaAt(alphas: Float64Array, t: number): number {
  const alpha = alphas[t];
  if (alpha === undefined)
    throw new RangeError(`ddim: timestep ${t} outside the training schedule`);
  return alpha;
}

/**
 * Integer timesteps from the config's timestep_spacing. As in diffusers, the "previous" timestep
 * is t − T // N, not the next entry of `timesteps` (they differ for linspace spacing and for
 * trailing spacing when N does not divide T); below 0 it is the final ᾱ: 1 when
 * set_alpha_to_one, else ᾱ(0), which leaves the result with σ(0)'s sliver of noise.
 */
export function ddimScheduler(config: ResolvedSchedulerConfig, steps: number): Scheduler {
  const alphas = alphasCumprod(config);
  const timesteps = ddimTimesteps({
    spacing: config.timestep_spacing,
    trainSteps: config.num_train_timesteps,
    steps,
    stepsOffset: config.steps_offset,
  });
  const finalAlpha = config.set_alpha_to_one ? 1 : alphaAt(alphas, 0);
  const stride = Math.floor(config.num_train_timesteps / steps);
  const clipRange = config.clip_sample ? config.clip_sample_range : Number.POSITIVE_INFINITY;
  const scheduler: Scheduler = {
    name: "ddim",
    steps,
    timesteps,
    initNoiseSigma: 1,
    scaleModelInput(sample, step) {
      checkStepArgs(scheduler, step, sample);
      return sample.slice();
    },
    step(modelOutput, step, sample) {
      checkStepArgs(scheduler, step, sample, modelOutput);
      const t = timesteps[step] as number;
      const prevAlpha = t - stride >= 0 ? alphaAt(alphas, t - stride) : finalAlpha;
      const c = vpCoefficients(config.prediction_type, alphaAt(alphas, t));
      const towardsX0 = Math.sqrt(prevAlpha);
      const towardsEps = Math.sqrt(1 - prevAlpha);
      return elementwise(sample, (x, i) => {
        const m = modelOutput[i] as number;
        const x0 = clamp(c.x0FromSample * x + c.x0FromOutput * m, clipRange);
        const eps = c.epsFromSample * x + c.epsFromOutput * m;
        return towardsX0 * x0 + towardsEps * eps;
      });
    },
  };
  return scheduler;
}
