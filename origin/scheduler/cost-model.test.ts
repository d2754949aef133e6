import { describe, expect, it } from "vitest";
import { CostModel } from "./cost-model";

describe("CostModel", () => {
  it("starts from calibration's measured costs once primed, scaled per latent cell", () => {
    const cost = new CostModel();
    const placeholder = cost.rowStepMs(1024);
    cost.prime({ unetRowMs: 11, decodeImageMs: 2, cells: 1024 });
    expect(placeholder).not.toBeCloseTo(11);
    expect(cost.rowStepMs(1024)).toBeCloseTo(11);
    // A 512² row (4× the cells) costs four 256² rows; two images decode at twice one.
    expect(cost.rowStepMs(4096)).toBeCloseTo(44);
    expect(cost.decodeMs(2, 1024)).toBeCloseTo(4);
    // Observations then move it as before (an EWMA from the primed value).
    cost.observeStep(21, 1, 1024, ["fast"]);
    expect(cost.rowStepMs(1024)).toBeCloseTo(11 + 0.2 * 10);
  });

  it("ignores measurements that cannot be costs", () => {
    const cost = new CostModel();
    const before = [cost.rowStepMs(1024), cost.decodeMs(1, 1024)];
    cost.prime({ unetRowMs: Number.NaN, decodeImageMs: -1, cells: 1024 });
    cost.prime({ unetRowMs: 5, decodeImageMs: 5, cells: 0 });
    expect([cost.rowStepMs(1024), cost.decodeMs(1, 1024)]).toEqual(before);
  });
});
