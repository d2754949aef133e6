import { describe, expect, it } from "vitest";
import type { EulerScheduler } from "./euler";
import { eulerAncestralScheduler, eulerScheduler } from "./euler";
import { gaussianNoise, stepNoise } from "./noise";
import { resolveSchedulerConfig } from "./scheduler-config";
import { maxAbsDiff, noNoise, pattern, recordingNoise, sdConfig } from "./test-fixtures";

const N = 256;
const x0 = pattern(N);
const eps = gaussianNoise(7, 0, N);
const noised = (sigma: number) => x0.map((x, i) => x + sigma * eps[i]!);

function euler(overrides: Record<string, unknown>, steps: number): EulerScheduler {
  return eulerScheduler(resolveSchedulerConfig("euler", sdConfig(overrides)), steps);
}
function ancestral(overrides: Record<string, unknown>, steps: number): EulerScheduler {
  return eulerAncestralScheduler(
    resolveSchedulerConfig("euler_ancestral", sdConfig(overrides)),
    steps,
  );
}

describe("Euler", () => {
  it("recovers x0 in one step from σ_max when the model predicts the exact noise", () => {
    const scheduler = euler({ timestep_spacing: "trailing" }, 1);
    expect(scheduler.timesteps).toEqual([999]);
    expect(scheduler.initNoiseSigma).toBeCloseTo(14.6146, 4);
    const out = scheduler.step(eps, 0, noised(scheduler.sigmas[0]!), noNoise);
    expect(maxAbsDiff(out, x0)).toBeLessThan(1e-5);
  });

  it("walks the exact ODE path x0 + σ_k·ε with an oracle over several steps", () => {
    const scheduler = euler({ timestep_spacing: "linspace" }, 20);
    let sample: Float32Array = noised(scheduler.sigmas[0]!);
    for (let k = 0; k < scheduler.steps; k++) {
      sample = scheduler.step(eps, k, sample, noNoise);
      expect(maxAbsDiff(sample, noised(scheduler.sigmas[k + 1]!))).toBeLessThan(1e-5);
    }
  });

  it("recovers x0 from a v-prediction oracle", () => {
    const scheduler = euler({ timestep_spacing: "trailing", prediction_type: "v_prediction" }, 1);
    const sigma = scheduler.sigmas[0]!;
    const [alpha, s] = [1 / Math.hypot(sigma, 1), sigma / Math.hypot(sigma, 1)];
    const v = eps.map((e, i) => alpha * e - s * x0[i]!);
    const out = scheduler.step(v, 0, noised(sigma), noNoise);
    expect(maxAbsDiff(out, x0)).toBeLessThan(1e-4);
  });

  it("steps along (x − x0)/σ with x0 = the output for sample-prediction models", () => {
    const scheduler = euler({ timestep_spacing: "trailing", prediction_type: "sample" }, 4);
    // σ(999) = 14.6146, σ(749) = 4.0817: 2 + (2 − 0.5)/14.6146·(4.0817 − 14.6146) = 0.91894.
    const out = scheduler.step(Float32Array.of(0.5), 0, Float32Array.of(2), noNoise);
    expect(out[0]).toBeCloseTo(0.91894, 4);
    // The last step (σ_next = 0) lands on the prediction itself.
    const last = scheduler.step(x0, 3, noised(scheduler.sigmas[3]!), noNoise);
    expect(maxAbsDiff(last, x0)).toBeLessThan(1e-6);
  });

  it("scales model input by 1/√(σ²+1) into a new array", () => {
    const scheduler = euler({ timestep_spacing: "trailing" }, 4);
    const sample = noised(scheduler.sigmas[1]!);
    const scaled = scheduler.scaleModelInput(sample, 1);
    expect(scaled).not.toBe(sample);
    expect(scaled[3]).toBeCloseTo(sample[3]! / Math.hypot(scheduler.sigmas[1]!, 1), 6);
  });

  it("starts leading spacing at √(σ_max²+1) and the others at σ_max", () => {
    const leading = euler({ timestep_spacing: "leading", steps_offset: 1 }, 4);
    expect(leading.timesteps).toEqual([751, 501, 251, 1]);
    expect(leading.initNoiseSigma).toBeCloseTo(Math.hypot(leading.sigmas[0]!, 1), 5);
    const trailing = euler({ timestep_spacing: "trailing" }, 4);
    expect(trailing.initNoiseSigma).toBe(trailing.sigmas[0]);
  });

  it("feeds 0.25·ln σ as the timestep for continuous v-prediction models", () => {
    const scheduler = euler(
      {
        timestep_spacing: "trailing",
        prediction_type: "v_prediction",
        timestep_type: "continuous",
      },
      4,
    );
    expect(scheduler.timesteps[0]).toBeCloseTo(0.25 * Math.log(14.6146), 4);
  });

  it("ends on σ(0) instead of 0 with final_sigmas_type sigma_min", () => {
    const scheduler = euler({ timestep_spacing: "trailing", final_sigmas_type: "sigma_min" }, 4);
    expect(scheduler.sigmas[4]).toBeCloseTo(0.0292, 4);
  });

  it("is pure: same inputs give the same bytes and inputs are not mutated", () => {
    const scheduler = euler({ timestep_spacing: "trailing" }, 4);
    const sample = noised(scheduler.sigmas[0]!);
    const before = sample.slice();
    const a = scheduler.step(eps, 0, sample, noNoise);
    const b = scheduler.step(eps, 0, sample, noNoise);
    expect(a).toEqual(b);
    expect(sample).toEqual(before);
    expect(() => scheduler.step(eps, 4, sample, noNoise)).toThrow(RangeError);
    expect(() => scheduler.step(eps.subarray(1), 0, sample, noNoise)).toThrow(RangeError);
  });
});

describe("Euler ancestral", () => {
  const scheduler = ancestral({ timestep_spacing: "trailing" }, 4);

  it("steps to σ_down and adds σ_up of the step noise", () => {
    const [sigma, next] = [scheduler.sigmas[0]!, scheduler.sigmas[1]!];
    const up = Math.sqrt((next ** 2 * (sigma ** 2 - next ** 2)) / sigma ** 2);
    const down = Math.sqrt(next ** 2 - up ** 2);
    const { noise, calls } = recordingNoise(stepNoise(11, 0));
    const out = scheduler.step(eps, 0, noised(sigma), noise);
    expect(calls).toEqual([N]);
    const z = stepNoise(11, 0)(N);
    const expected = x0.map((x, i) => x + down * eps[i]! + up * z[i]!);
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-5);
    expect(up).toBeGreaterThan(1);
  });

  it("same seed gives the same bytes, another seed a different latent", () => {
    const sample = noised(scheduler.sigmas[0]!);
    const a = scheduler.step(eps, 0, sample, stepNoise(1, 0));
    const b = scheduler.step(eps, 0, sample, stepNoise(1, 0));
    const c = scheduler.step(eps, 0, sample, stepNoise(2, 0));
    expect(Buffer.from(a.buffer)).toEqual(Buffer.from(b.buffer));
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0.5);
  });

  it("takes x0 from a sample-prediction model and adds σ_up of the step noise", () => {
    const sample = ancestral({ timestep_spacing: "trailing", prediction_type: "sample" }, 4);
    const [sigma, next] = [sample.sigmas[0]!, sample.sigmas[1]!];
    const up = Math.sqrt((next ** 2 * (sigma ** 2 - next ** 2)) / sigma ** 2);
    const down = Math.sqrt(next ** 2 - up ** 2);
    const x = noised(sigma);
    const z = stepNoise(11, 0)(N);
    const out = sample.step(x0, 0, x, stepNoise(11, 0));
    // Equals the ε-model's step given the ε that x0 implies: x0 + σ_down·ε + σ_up·z.
    const expected = x0.map((v, i) => v + down * eps[i]! + up * z[i]!);
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-5);
  });

  it("adds no noise on the last step (σ_next = 0) and lands on x0", () => {
    const out = scheduler.step(eps, 3, noised(scheduler.sigmas[3]!), noNoise);
    expect(maxAbsDiff(out, x0)).toBeLessThan(1e-5);
  });

  it("can resume a row from a cached latent with a fresh scheduler, bit for bit", () => {
    const model = (x: Float32Array, k: number) => x.map((v) => 0.05 * v + 0.01 * k);
    const run = (from: number, to: number, start: Float32Array, s: EulerScheduler) => {
      let sample = start;
      for (let k = from; k < to; k++) sample = s.step(model(sample, k), k, sample, stepNoise(9, k));
      return sample;
    };
    const start = noised(scheduler.sigmas[0]!);
    const straight = run(0, 4, start, scheduler);
    const cached = run(0, 2, start, scheduler).slice();
    const resumed = run(2, 4, cached, ancestral({ timestep_spacing: "trailing" }, 4));
    expect(resumed).toEqual(straight);
  });
});
