import { describe, expect, it } from "vitest";
import { timeChecks } from "./check-timing";
import { runSafety } from "./prefilter";

describe("timeChecks", () => {
  it("reports normalisation, each check in order, and the total, on the clock it is given", () => {
    let clock = 0;
    const tick = () => {
      clock += 0.001; // one microsecond per reading
      return clock;
    };
    const timings = timeChecks("a red fox in the snow", { iterations: 50, now: tick });
    expect(timings.stages.map((stage) => stage.name)).toEqual([
      "normalize",
      "lexical",
      "category_terms",
      "patterns",
      "tenant_terms",
      "total",
    ]);
    for (const stage of timings.stages.slice(0, -1)) expect(stage.micros).toBeCloseTo(1, 6);
    expect(timings.stages.at(-1)?.micros).toBeCloseTo(1 / 50, 6);
  });

  it("returns the verdict for the prompt it timed", () => {
    const prompt = "a nude woman";
    expect(timeChecks(prompt, { iterations: 5 }).result).toEqual(runSafety(prompt));
  });
});
