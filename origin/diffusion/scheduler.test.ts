import { describe, expect, it } from "vitest";
import { stepNoise } from "./noise";
import { createScheduler, SCHEDULER_NAMES, unsupportedFeatures } from "./scheduler";
import { parseSchedulerConfig } from "./scheduler-config";
import { pattern, SD_TURBO_JSON, sdConfig } from "./test-fixtures";

describe("createScheduler", () => {
  const turbo = parseSchedulerConfig(SD_TURBO_JSON);

  it.each(SCHEDULER_NAMES)("%s: N timesteps, pure steps, fresh arrays", (name) => {
    const scheduler = createScheduler(name, turbo, 4);
    expect(scheduler.name).toBe(name);
    expect(scheduler.timesteps).toHaveLength(4);
    const sample = pattern(64);
    const output = pattern(64, 1);
    const before = [sample.slice(), output.slice()];
    const a = scheduler.step(output, 1, sample, stepNoise(5, 1));
    const b = scheduler.step(output, 1, sample, stepNoise(5, 1));
    expect(a).toEqual(b);
    expect(a).not.toBe(sample);
    expect([sample, output]).toEqual(before);
    expect(scheduler.scaleModelInput(sample, 0)).not.toBe(sample);
  });

  it("uses the config's spacing for Euler and DDIM but the LCM grid for LCM", () => {
    expect(createScheduler("euler", turbo, 4).timesteps).toEqual([999, 749, 499, 249]);
    expect(createScheduler("ddim", turbo, 4).timesteps).toEqual([999, 749, 499, 249]);
    expect(createScheduler("lcm", turbo, 4).timesteps).toEqual([999, 759, 499, 259]);
    // SD 1.5 files omit timestep_spacing: Euler falls back to linspace, DDIM to leading.
    const sd15 = sdConfig({ steps_offset: 1 });
    expect(createScheduler("euler", sd15, 4).timesteps).toEqual([999, 666, 333, 0]);
    expect(createScheduler("ddim", sd15, 4).timesteps).toEqual([751, 501, 251, 1]);
  });

  it("refuses config options it would silently get wrong", () => {
    const karras = sdConfig({ use_karras_sigmas: true });
    expect(unsupportedFeatures("euler", karras)).toEqual(["use_karras_sigmas"]);
    expect(() => createScheduler("euler", karras, 4)).toThrow(/use_karras_sigmas/);
    expect(unsupportedFeatures("ddim", karras)).toEqual([]);
    expect(() => createScheduler("ddim", sdConfig({ thresholding: true }), 4)).toThrow(
      /thresholding/,
    );
    expect(() =>
      createScheduler("euler", sdConfig({ interpolation_type: "log_linear" }), 4),
    ).toThrow(/log_linear/);
  });

  it("rejects step indices outside the run", () => {
    const scheduler = createScheduler("ddim", turbo, 4);
    const sample = pattern(8);
    expect(() => scheduler.step(sample, -1, sample, stepNoise(1, 0))).toThrow(RangeError);
    expect(() => scheduler.scaleModelInput(sample, 4)).toThrow(RangeError);
  });
});
