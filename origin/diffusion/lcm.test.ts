import { describe, expect, it } from "vitest";
import { alphasCumprod } from "./betas";
import { boundaryScalings, lcmScheduler } from "./lcm";
import { gaussianNoise, stepNoise } from "./noise";
import { parseSchedulerConfig, resolveSchedulerConfig } from "./scheduler-config";
import { maxAbsDiff, noNoise, pattern, recordingNoise } from "./test-fixtures";

const N = 256;
const x0 = pattern(N);
const eps = gaussianNoise(5, 0, N);
// LCMScheduler's own defaults are SD's scaled-linear betas.
const CONFIG = resolveSchedulerConfig("lcm", parseSchedulerConfig({ steps_offset: 1 }));
const ALPHAS = alphasCumprod(CONFIG);
const noisedAt = (alpha: number) =>
  x0.map((x, i) => Math.sqrt(alpha) * x + Math.sqrt(1 - alpha) * eps[i]!);

describe("LCM", () => {
  const scheduler = lcmScheduler(CONFIG, 4);

  it("uses its own distillation-grid timesteps and unit initial noise", () => {
    expect(scheduler.timesteps).toEqual([999, 759, 499, 259]);
    expect(scheduler.initNoiseSigma).toBe(1);
  });

  it("final step returns the denoised x0 prediction without drawing noise", () => {
    const sample = noisedAt(ALPHAS[259]!);
    const out = scheduler.step(eps, 3, sample, noNoise);
    const [cSkip, cOut] = boundaryScalings(259, 10);
    const expected = x0.map((x, i) => cOut * x + cSkip * sample[i]!);
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out, x0)).toBeLessThan(1e-5);
  });

  it("re-noises the denoised estimate to the next timestep with the step's noise", () => {
    const { noise, calls } = recordingNoise(stepNoise(21, 0));
    const out = scheduler.step(eps, 0, noisedAt(ALPHAS[999]!), noise);
    expect(calls).toEqual([N]);
    const z = stepNoise(21, 0)(N);
    const [cSkip, cOut] = boundaryScalings(999, 10);
    const sample = noisedAt(ALPHAS[999]!);
    const next = ALPHAS[759]!;
    const expected = x0.map((x, i) => {
      const denoised = cOut * x + cSkip * sample[i]!;
      return Math.sqrt(next) * denoised + Math.sqrt(1 - next) * z[i]!;
    });
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-5);
    const other = scheduler.step(eps, 0, sample, stepNoise(22, 0));
    expect(maxAbsDiff(out, other)).toBeGreaterThan(0.5);
  });

  it("takes a sample-prediction output as the x0 estimate", () => {
    const sampleModel = lcmScheduler(
      resolveSchedulerConfig("lcm", parseSchedulerConfig({ prediction_type: "sample" })),
      4,
    );
    const sample = noisedAt(ALPHAS[259]!);
    const out = sampleModel.step(x0, 3, sample, noNoise);
    const [cSkip, cOut] = boundaryScalings(259, 10);
    expect(
      maxAbsDiff(
        out,
        x0.map((x, i) => cOut * x + cSkip * sample[i]!),
      ),
    ).toBeLessThan(1e-6);
    // The same output read as ε would have been nowhere near x0.
    expect(maxAbsDiff(scheduler.step(x0, 3, sample, noNoise), x0)).toBeGreaterThan(0.1);
  });

  it("boundary scalings: identity at t = 0, almost pure x0 at large t", () => {
    expect(boundaryScalings(0, 10)).toEqual([1, 0]);
    const [cSkip, cOut] = boundaryScalings(999, 10);
    expect(cSkip).toBeLessThan(1e-7);
    expect(cOut).toBeCloseTo(1, 6);
  });

  it("rejects more steps than original_inference_steps", () => {
    expect(() => lcmScheduler(CONFIG, 51)).toThrow(RangeError);
  });
});
