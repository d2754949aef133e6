import { describe, expect, it } from "vitest";
import { alphasCumprod, betas, sigmaAt, trainingSigmas } from "./betas";

const SD = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear" as const,
  rescale_betas_zero_snr: false,
};

describe("noise schedule", () => {
  it("reproduces the SD σ values quoted in ARCHITECTURE.md to 4 decimals", () => {
    const alphas = alphasCumprod(SD);
    expect(sigmaAt(alphas, 999)).toBeCloseTo(14.6146, 4);
    expect(sigmaAt(alphas, 749)).toBeCloseTo(4.0817, 4);
    expect(sigmaAt(alphas, 499)).toBeCloseTo(1.6129, 4);
    expect(sigmaAt(alphas, 249)).toBeCloseTo(0.6932, 4);
  });

  it("scaled_linear interpolates √β, linear interpolates β", () => {
    const scaled = betas(SD);
    expect(scaled[0]).toBeCloseTo(0.00085, 15);
    expect(scaled[999]).toBeCloseTo(0.012, 15);
    const [r0, r1] = [Math.sqrt(0.00085), Math.sqrt(0.012)];
    expect(scaled[500]).toBeCloseTo((r0 + (500 / 999) * (r1 - r0)) ** 2, 12);
    const linear = betas({ ...SD, beta_schedule: "linear" });
    expect(linear[500]).toBeCloseTo(0.00085 + (500 / 999) * (0.012 - 0.00085), 12);
  });

  it("squaredcos_cap_v2 follows the Glide cosine ᾱ and caps β at 0.999", () => {
    const cosine = betas({ ...SD, beta_schedule: "squaredcos_cap_v2" });
    // Reference values from diffusers' betas_for_alpha_bar formula evaluated in Python.
    expect(cosine[0]).toBeCloseTo(4.128422482196914e-5, 15);
    expect(cosine[500]).toBeCloseTo(0.003155691441585007, 12);
    expect(cosine[999]).toBe(0.999);
  });

  it("zero-terminal-SNR rescaling keeps ᾱ(0) and drives ᾱ(T−1) to 0", () => {
    const alphas = alphasCumprod({ ...SD, rescale_betas_zero_snr: true });
    expect(alphas[0]).toBeCloseTo(0.99915, 12);
    expect(alphas[499]).toBeCloseTo(0.24235916655614523, 10);
    expect(alphas[999]).toBeCloseTo(0, 12);
  });

  it("uses trained_betas verbatim when given", () => {
    const alphas = alphasCumprod({ ...SD, num_train_timesteps: 3, trained_betas: [0.1, 0.2, 0.5] });
    expect([...alphas].map((a) => Number(a.toFixed(12)))).toEqual([0.9, 0.72, 0.36]);
  });

  it("σ grows with t and matches sigmaAt", () => {
    const alphas = alphasCumprod(SD);
    const table = trainingSigmas(alphas);
    expect(table[999]).toBe(sigmaAt(alphas, 999));
    expect(table.every((s, i) => i === 0 || s > (table[i - 1] as number))).toBe(true);
    expect(() => sigmaAt(alphas, 1000)).toThrow(RangeError);
  });
});
