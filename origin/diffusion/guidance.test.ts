import { describe, expect, it } from "vitest";
import { combineGuidance, guideRow, rowView, usesGuidance } from "./guidance";

describe("classifier-free guidance", () => {
  it("combines [uncond rows; cond rows] as uncond + g·(cond − uncond)", () => {
    // two images, two values each: uncond rows then cond rows
    const output = Float32Array.from([1, 2, 0, -1, 3, 6, 1, 1]);
    expect([...combineGuidance(output, 2, 7.5)]).toEqual([16, 32, 7.5, 14]);
  });

  it("accepts one scale per row", () => {
    const output = Float32Array.from([1, 2, 0, -1, 3, 6, 1, 1]);
    expect([...combineGuidance(output, 2, [1, 0])]).toEqual([3, 6, 0, -1]);
    expect(() => combineGuidance(output, 2, [1])).toThrow(RangeError);
    expect(() => combineGuidance(output.subarray(1), 2, 1)).toThrow(RangeError);
  });

  it("guides one row into a caller's slice, in place if asked", () => {
    const batch = Float32Array.from([0, 0, 1, 2, 3, 4]);
    const uncond = Float32Array.from([1, 1]);
    const target = rowView(batch, 1, 2);
    guideRow(uncond, target, 2, target);
    expect([...batch]).toEqual([0, 0, 1, 3, 3, 4]);
    expect(() => rowView(batch, 3, 2)).toThrow(RangeError);
  });

  it("needs an unconditional pass only above guidance 1", () => {
    expect([0, 1, 1.01, 7.5].map((g) => usesGuidance(g))).toEqual([false, false, true, true]);
  });

  it("never for a model that takes guidance as an input (LCM's timestep_cond)", () => {
    expect([0, 1, 1.01, 7.5].map((g) => usesGuidance(g, true))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
