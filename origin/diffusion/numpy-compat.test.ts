import { describe, expect, it } from "vitest";
import { arange, interpAtIndex, linspace, roundHalfEven } from "./numpy-compat";

describe("numpy-compat", () => {
  it("rounds halves to even like np.round", () => {
    expect([0.5, 1.5, 2.5, 937.5, 812.5, 2.4, 2.6, -0.5, -1.5].map(roundHalfEven)).toEqual([
      0, 2, 2, 938, 812, 2, 3, 0, -2,
    ]);
  });

  it("linspace pins the endpoint and supports endpoint=false", () => {
    expect(linspace(0, 999, 4)).toEqual([0, 333, 666, 999]);
    expect(linspace(0, 50, 4, false)).toEqual([0, 12.5, 25, 37.5]);
    expect(linspace(3, 7, 1)).toEqual([3]);
  });

  it("arange counts down with a float step and the ceil length", () => {
    expect(arange(1000, 0, -250)).toEqual([1000, 750, 500, 250]);
    expect(arange(1000, 0, -1000 / 3)).toHaveLength(3);
  });

  it("interpolates between table entries and clamps outside", () => {
    const table = [10, 20, 40];
    expect(interpAtIndex(0.25, table)).toBeCloseTo(12.5, 12);
    expect(interpAtIndex(1.5, table)).toBeCloseTo(30, 12);
    expect(interpAtIndex(-3, table)).toBe(10);
    expect(interpAtIndex(7, table)).toBe(40);
  });
});
