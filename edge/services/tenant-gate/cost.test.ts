// Cost units: pixels in 512² blocks times steps in multiples of the tier's default.
import { describe, expect, it } from "vitest";
import { costUnits, costUnitsPerImage } from "./cost";

describe("cost units", () => {
  it.each([
    ["fast", 512, 512, 2, 1],
    ["fast", 256, 256, 1, 1],
    ["fast", 512, 512, 4, 2],
    ["fast", 512, 384, 3, 2],
    ["quality", 512, 512, 20, 1],
    ["quality", 768, 768, 20, 3],
    ["quality", 1024, 1024, 20, 4],
    ["quality", 1024, 1024, 40, 8],
    ["batch", 1024, 768, 8, 3],
  ] as const)("%s %ix%i at %i steps costs %i per image", (tier, width, height, steps, units) => {
    expect(costUnitsPerImage({ tier, width, height, steps })).toBe(units);
  });

  it("scales with n", () => {
    expect(costUnits({ tier: "quality", width: 1024, height: 1024, steps: 20, n: 3 })).toBe(12);
  });
});
