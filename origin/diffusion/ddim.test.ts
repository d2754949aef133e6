import { describe, expect, it } from "vitest";
import { alphasCumprod } from "./betas";
import { ddimScheduler } from "./ddim";
import { gaussianNoise } from "./noise";
import { resolveSchedulerConfig } from "./scheduler-config";
import { maxAbsDiff, noNoise, pattern, sdConfig } from "./test-fixtures";

const N = 256;
const x0 = pattern(N);
const eps = gaussianNoise(3, 0, N);
const ALPHAS = alphasCumprod(resolveSchedulerConfig("ddim", sdConfig()));
const noisedAt = (alpha: number) =>
  x0.map((x, i) => Math.sqrt(alpha) * x + Math.sqrt(1 - alpha) * eps[i]!);

function ddim(overrides: Record<string, unknown>, steps: number) {
  return ddimScheduler(resolveSchedulerConfig("ddim", sdConfig(overrides)), steps);
}

/**
 * Runs every step with an oracle that knows x0: it returns the ε (or v) that makes the latent it
 * is given consistent with x0 at the step's timestep.
 */
function denoise(scheduler: ReturnType<typeof ddim>, vPrediction = false): Float32Array {
  let sample: Float32Array = noisedAt(ALPHAS[scheduler.timesteps[0]!]!);
  for (let k = 0; k < scheduler.steps; k++) {
    const alpha = ALPHAS[scheduler.timesteps[k]!]!;
    const trueEps = sample.map((x, i) => (x - Math.sqrt(alpha) * x0[i]!) / Math.sqrt(1 - alpha));
    const v = trueEps.map((e, i) => Math.sqrt(alpha) * e - Math.sqrt(1 - alpha) * x0[i]!);
    sample = scheduler.step(vPrediction ? v : trueEps, k, sample, noNoise);
  }
  return sample;
}

describe("DDIM (η = 0)", () => {
  it("round-trips: noising x0 with ε and denoising with the true ε returns x0", () => {
    for (const timestep_spacing of ["trailing", "leading", "linspace"]) {
      const scheduler = ddim({ timestep_spacing, steps_offset: 1, clip_sample: false }, 20);
      expect(maxAbsDiff(denoise(scheduler), x0)).toBeLessThan(1e-4);
    }
  });

  it("lands each step exactly on √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε", () => {
    const scheduler = ddim({ timestep_spacing: "trailing", clip_sample: false }, 4);
    const out = scheduler.step(eps, 0, noisedAt(ALPHAS[999]!), noNoise);
    expect(maxAbsDiff(out, noisedAt(ALPHAS[749]!))).toBeLessThan(1e-5);
  });

  it("reads a sample-prediction output as x0 and derives ε = (x − √ᾱ·x0)/√(1−ᾱ)", () => {
    const scheduler = ddim(
      { timestep_spacing: "trailing", clip_sample: false, prediction_type: "sample" },
      4,
    );
    // ᾱ(999) = 0.0046601, ᾱ(749) = 0.0566234; x = 0.7, x0 = 0.2:
    // √0.0566234·0.2 + √(1 − 0.0566234)·(0.7 − √0.0046601·0.2)/√(1 − 0.0046601) = 0.715782.
    const out = scheduler.step(Float32Array.of(0.2), 0, Float32Array.of(0.7), noNoise);
    expect(out[0]).toBeCloseTo(0.715782, 5);
    // An x0 oracle lands exactly where the ε oracle does.
    expect(
      maxAbsDiff(scheduler.step(x0, 0, noisedAt(ALPHAS[999]!), noNoise), noisedAt(ALPHAS[749]!)),
    ).toBeLessThan(1e-5);
  });

  it("is deterministic: never draws noise and repeats byte for byte", () => {
    const scheduler = ddim({ timestep_spacing: "trailing", clip_sample: false }, 8);
    expect(Buffer.from(denoise(scheduler).buffer)).toEqual(Buffer.from(denoise(scheduler).buffer));
  });

  it("without set_alpha_to_one ends at ᾱ(0), leaving σ(0)'s sliver of noise", () => {
    const scheduler = ddim(
      { timestep_spacing: "trailing", clip_sample: false, set_alpha_to_one: false },
      4,
    );
    expect(maxAbsDiff(denoise(scheduler), noisedAt(ALPHAS[0]!))).toBeLessThan(1e-5);
    expect(maxAbsDiff(denoise(scheduler), x0)).toBeGreaterThan(0.01);
  });

  it("recovers x0 from a v-prediction oracle", () => {
    const scheduler = ddim(
      { timestep_spacing: "trailing", clip_sample: false, prediction_type: "v_prediction" },
      4,
    );
    expect(maxAbsDiff(denoise(scheduler, true), x0)).toBeLessThan(1e-4);
  });

  it("clip_sample clamps the x0 estimate (the diffusers DDIM default)", () => {
    const scheduler = ddim({ timestep_spacing: "trailing" }, 1);
    const loud = new Float32Array(N).fill(5);
    const out = scheduler.step(new Float32Array(N), 0, loud, noNoise);
    // ε = 0 so x0 = x/√ᾱ ≫ 1, clipped to 1; the final ᾱ is 1, so the result is x0 itself.
    expect(out.every((v) => v === 1)).toBe(true);
  });

  it("steps down by T // N like diffusers, and leaves inputs untouched", () => {
    const scheduler = ddim({ timestep_spacing: "linspace", clip_sample: false }, 20);
    expect(scheduler.timesteps.slice(0, 3)).toEqual([999, 946, 894]);
    const sample = noisedAt(ALPHAS[999]!);
    const before = sample.slice();
    const out = scheduler.step(eps, 0, sample, noNoise);
    // 999 − 1000 // 20 = 949, not the next listed timestep 946
    expect(maxAbsDiff(out, noisedAt(ALPHAS[949]!))).toBeLessThan(1e-5);
    expect(sample).toEqual(before);
    expect(scheduler.initNoiseSigma).toBe(1);
    expect(scheduler.scaleModelInput(sample, 0)).toEqual(sample);
  });
});
