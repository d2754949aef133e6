import { describe, expect, it } from "vitest";
import { parseSchedulerConfig, resolveSchedulerConfig } from "./scheduler-config";
import { SD_TURBO_JSON } from "./test-fixtures";

describe("scheduler config", () => {
  it("parses an SD-Turbo style file, dropping nulls and keeping unknown keys", () => {
    const config = parseSchedulerConfig(SD_TURBO_JSON);
    expect(config.timestep_spacing).toBe("trailing");
    expect(config.steps_offset).toBe(1);
    expect(config.trained_betas).toBeUndefined();
    expect(config.skip_prk_steps).toBe(true);
    expect(config._class_name).toBe("EulerDiscreteScheduler");
  });

  it("applies the defaults diffusers shares across classes", () => {
    const config = parseSchedulerConfig({});
    expect(config.num_train_timesteps).toBe(1000);
    expect(config.steps_offset).toBe(0);
    expect(config.prediction_type).toBe("epsilon");
    expect(config.original_inference_steps).toBe(50);
    expect(config.timestep_scaling).toBe(10);
  });

  it("fills class-specific defaults per scheduler, keeping what the file sets", () => {
    const bare = parseSchedulerConfig({});
    expect(resolveSchedulerConfig("euler", bare)).toMatchObject({
      beta_schedule: "linear",
      beta_start: 0.0001,
      timestep_spacing: "linspace",
    });
    expect(resolveSchedulerConfig("ddim", bare)).toMatchObject({
      timestep_spacing: "leading",
      clip_sample: true,
      set_alpha_to_one: true,
    });
    expect(resolveSchedulerConfig("lcm", bare)).toMatchObject({
      beta_schedule: "scaled_linear",
      beta_start: 0.00085,
      clip_sample: false,
    });
    const turbo = parseSchedulerConfig(SD_TURBO_JSON);
    expect(resolveSchedulerConfig("ddim", turbo)).toMatchObject({
      timestep_spacing: "trailing",
      clip_sample: false,
      set_alpha_to_one: false,
    });
  });

  it("accepts every prediction_type diffusers' Euler, DDIM and LCM schedulers implement", () => {
    for (const prediction_type of ["epsilon", "v_prediction", "sample"]) {
      expect(parseSchedulerConfig({ prediction_type }).prediction_type).toBe(prediction_type);
    }
  });

  it("rejects values diffusers would not accept, naming the field", () => {
    expect(() => parseSchedulerConfig({ beta_schedule: "cosine" })).toThrow(/beta_schedule/);
    expect(() => parseSchedulerConfig({ prediction_type: "x0" })).toThrow(/prediction_type/);
    expect(() => parseSchedulerConfig({ timestep_spacing: "uniform" })).toThrow(/timestep_spacing/);
    expect(() => parseSchedulerConfig({ num_train_timesteps: 4, trained_betas: [0.1] })).toThrow(
      /trained_betas/,
    );
  });
});
