import { describe, expect, it } from "vitest";
import { alphasCumprod, trainingSigmas } from "./betas";
import type { TimestepSpacing } from "./scheduler-config";
import { ddimTimesteps, eulerSigmas, eulerTimesteps, lcmTimesteps } from "./timesteps";

// Expected arrays below were produced by diffusers' formulas run in NumPy 2.4
// (np.arange / np.linspace / np.round exactly as in set_timesteps), not by this module.
const opts = (spacing: TimestepSpacing, steps: number, stepsOffset = 0) => ({
  spacing,
  trainSteps: 1000,
  steps,
  stepsOffset,
});

const SD_SIGMAS = trainingSigmas(
  alphasCumprod({
    num_train_timesteps: 1000,
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: "scaled_linear",
    rescale_betas_zero_snr: false,
  }),
);

describe("trailing spacing", () => {
  it("gives [999, 749, 499, 249] for 4 steps", () => {
    expect(eulerTimesteps(opts("trailing", 4))).toEqual([999, 749, 499, 249]);
    expect(ddimTimesteps(opts("trailing", 4))).toEqual([999, 749, 499, 249]);
  });

  it("rounds float strides half-to-even and always starts at T − 1", () => {
    expect(eulerTimesteps(opts("trailing", 3))).toEqual([999, 666, 332]);
    expect(eulerTimesteps(opts("trailing", 16))).toEqual([
      999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61,
    ]);
    expect(eulerTimesteps(opts("trailing", 20))).toEqual(
      Array.from({ length: 20 }, (_, i) => 999 - 50 * i),
    );
  });

  it("ignores steps_offset and yields exactly N steps where np.arange overshoots", () => {
    expect(eulerTimesteps(opts("trailing", 4, 1))).toEqual([999, 749, 499, 249]);
    const sixtyOne = eulerTimesteps(opts("trailing", 61));
    expect(sixtyOne).toHaveLength(61);
    expect(Math.min(...sixtyOne)).toBeGreaterThanOrEqual(0);
  });
});

describe("leading spacing", () => {
  it("counts multiples of T // N and adds steps_offset", () => {
    expect(eulerTimesteps(opts("leading", 4, 1))).toEqual([751, 501, 251, 1]);
    expect(ddimTimesteps(opts("leading", 4, 0))).toEqual([750, 500, 250, 0]);
    expect(ddimTimesteps(opts("leading", 20, 1))).toEqual(
      Array.from({ length: 20 }, (_, i) => 951 - 50 * i),
    );
  });
});

describe("linspace spacing", () => {
  it("N = 4 lands on integers", () => {
    expect(eulerTimesteps(opts("linspace", 4))).toEqual([999, 666, 333, 0]);
    expect(ddimTimesteps(opts("linspace", 4))).toEqual([999, 666, 333, 0]);
  });

  it("N = 20 keeps float32 fractions for Euler and rounds for DDIM", () => {
    expect(eulerTimesteps(opts("linspace", 20))).toEqual([
      999, 946.4210815429688, 893.8421020507812, 841.26318359375, 788.6842041015625,
      736.1052856445312, 683.5263061523438, 630.9473876953125, 578.368408203125, 525.7894897460938,
      473.2105407714844, 420.631591796875, 368.0526428222656, 315.47369384765625, 262.8947448730469,
      210.3157958984375, 157.73684692382812, 105.15789794921875, 52.578948974609375, 0,
    ]);
    expect(ddimTimesteps(opts("linspace", 20))).toEqual([
      999, 946, 894, 841, 789, 736, 684, 631, 578, 526, 473, 421, 368, 315, 263, 210, 158, 105, 53,
      0,
    ]);
  });

  it("rejects step counts outside 1..T", () => {
    expect(() => eulerTimesteps(opts("linspace", 0))).toThrow(RangeError);
    expect(() => ddimTimesteps(opts("trailing", 1001))).toThrow(RangeError);
    expect(() => eulerTimesteps(opts("leading", 2.5))).toThrow(RangeError);
  });
});

describe("LCM timesteps", () => {
  it("samples the 50-step distillation grid", () => {
    expect(lcmTimesteps(1000, 50, 1)).toEqual([999]);
    expect(lcmTimesteps(1000, 50, 2)).toEqual([999, 499]);
    expect(lcmTimesteps(1000, 50, 4)).toEqual([999, 759, 499, 259]);
    expect(lcmTimesteps(1000, 50, 8)).toEqual([999, 879, 759, 639, 499, 379, 259, 139]);
  });

  it("refuses more steps than original_inference_steps", () => {
    expect(() => lcmTimesteps(1000, 50, 51)).toThrow(RangeError);
    expect(() => lcmTimesteps(1000, 2000, 4)).toThrow(RangeError);
  });
});

describe("Euler sigmas", () => {
  it("trailing 4 steps: the σ(t) quoted in ARCHITECTURE.md, then 0", () => {
    const sigmas = eulerSigmas(eulerTimesteps(opts("trailing", 4)), SD_SIGMAS, 0);
    expect(sigmas).toHaveLength(5);
    [14.6146, 4.0817, 1.6129, 0.6932, 0].forEach((expected, i) => {
      expect(sigmas[i]).toBeCloseTo(expected, 4);
    });
  });

  it("interpolates at fractional linspace timesteps like np.interp, in float32", () => {
    const four = eulerSigmas(eulerTimesteps(opts("linspace", 4)), SD_SIGMAS, 0);
    expect(four).toEqual([
      14.614641189575195, 2.918307065963745, 0.9323579668998718, 0.029167158529162407, 0,
    ]);
    const twenty = eulerSigmas(eulerTimesteps(opts("linspace", 20)), SD_SIGMAS, 0);
    expect(twenty[1]).toBe(10.746846199035645);
    expect(twenty[10]).toBe(1.4805819988250732);
    expect(twenty[20]).toBe(0);
  });
});
