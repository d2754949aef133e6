// Region selection: who is filtered out (state, model, readiness, breaker, residency) and in what order the rest go.
import { describe, expect, it } from "vitest";
import type { LoadReport, TierLoad } from "../../../protocol/load";
import type { RoutableOrigin } from "./origin-registry";
import type { RouteQuery } from "./region-router";
import { DEFAULT_RTT_TABLE, estimateRtt, rttTable } from "./rtt-table";
import { type HealthView, selectCandidates, UNKNOWN_HEALTH, workMs } from "./select-candidates";

const QUERY: RouteQuery = {
  tier: "fast",
  model: "default",
  steps: 4,
  width: 512,
  height: 512,
  n: 1,
  guidanceScale: 0,
  residency: null,
  colo: null,
  continent: null,
};

const origin = (region: string, fields: Partial<RoutableOrigin> = {}): RoutableOrigin => ({
  region,
  url: `http://${region}.test`,
  continents: [],
  colos: [],
  weight: 1,
  models: [],
  state: "active",
  ...fields,
});

const tier = (predicted_wait_ms: number, step_ms: number): TierLoad => ({
  queue_depth: 0,
  predicted_wait_ms,
  step_ms,
});

function load(fast: TierLoad, fields: Partial<LoadReport> = {}): LoadReport {
  return {
    region: "x",
    ready: true,
    draining: false,
    models: ["tiny-sd"],
    tiers: { fast, quality: fast, batch: fast },
    capacity: { running_rows: 0, max_rows: 8 },
    ...fields,
  };
}

function pick(
  origins: RoutableOrigin[],
  health: Record<string, Partial<HealthView>> = {},
  query: Partial<RouteQuery> = {},
) {
  const view = (region: string) => ({ ...UNKNOWN_HEALTH, ...health[region] });
  return selectCandidates({ ...QUERY, ...query }, origins, view, DEFAULT_RTT_TABLE);
}
const regions = (ranked: ReturnType<typeof pick>) => ranked.map((r) => r.candidate.region);

describe("selectCandidates", () => {
  it("keeps registry order when nothing is known", () => {
    expect(regions(pick([origin("us"), origin("eu"), origin("ap")]))).toEqual(["us", "eu", "ap"]);
  });

  it("filters draining and disabled origins, and origins lacking the model", () => {
    const origins = [
      origin("us", { state: "draining" }),
      origin("eu", { state: "disabled" }),
      origin("ap", { models: ["sd-turbo"] }),
      origin("sa", { models: ["tiny-sd"] }),
      origin("af"),
    ];
    expect(regions(pick(origins, {}, { model: "tiny-sd" }))).toEqual(["sa", "af"]);
    // "default" lets any active origin serve its own model.
    expect(regions(pick(origins))).toEqual(["ap", "sa", "af"]);
  });

  it("filters origins probed not ready, draining by their own report, or not offering the model", () => {
    const ranked = pick([origin("us"), origin("eu"), origin("ap"), origin("sa"), origin("af")], {
      us: { ready: false },
      eu: { ready: true, load: load(tier(0, 10), { draining: true }) },
      ap: { ready: true, load: load(tier(0, 10), { models: ["sd-turbo"] }) },
      sa: { ready: true, load: load(tier(0, 10)) },
    });
    // ap reports another model, which "default" accepts.
    expect(regions(ranked)).toEqual(["ap", "sa", "af"]);
    const tiny = selectCandidates(
      { ...QUERY, model: "tiny-sd" },
      [origin("ap"), origin("sa")],
      (r) => ({
        ...UNKNOWN_HEALTH,
        load: r === "ap" ? load(tier(0, 10), { models: ["x"] }) : null,
      }),
      DEFAULT_RTT_TABLE,
    );
    expect(regions(tiny)).toEqual(["sa"]);
  });

  it("skips open breakers, and half-open ones whose trial is out; flags a free half-open one", () => {
    const ranked = pick([origin("us"), origin("eu"), origin("ap")], {
      us: { breaker: "open" },
      eu: { breaker: "half_open", trialOut: true },
      ap: { breaker: "half_open" },
    });
    expect(ranked).toEqual([
      { candidate: { region: "ap", url: "http://ap.test", predictedMs: null }, needsTrial: true },
    ]);
  });

  it("offers a half-open origin its trial even when a probe last found it not ready", () => {
    const ranked = pick([origin("us"), origin("eu")], {
      us: { breaker: "half_open", ready: false },
      eu: { ready: false },
    });
    expect(ranked.map((r) => [r.candidate.region, r.needsTrial])).toEqual([["us", true]]);
  });

  it("keeps a tenant pinned to a region inside it, and lists nothing when it is down", () => {
    const origins = [origin("us"), origin("eu"), origin("eu-west"), origin("europe")];
    expect(regions(pick(origins, {}, { residency: "eu" }))).toEqual(["eu", "eu-west"]);
    const down = pick(
      origins,
      { eu: { breaker: "open" }, "eu-west": { ready: false } },
      {
        residency: "eu",
      },
    );
    expect(down).toEqual([]);
  });

  it("orders by predicted wait plus step time × steps for the request's tier", () => {
    const ranked = pick([origin("us"), origin("eu"), origin("ap")], {
      us: { load: load(tier(900, 50)) }, // 900 + 4 × 50 = 1100
      eu: { load: load(tier(0, 100)) }, // 400
      ap: { load: load(tier(100, 10)) }, // 140
    });
    expect(regions(ranked)).toEqual(["ap", "eu", "us"]);
    expect(ranked.map((r) => r.candidate.predictedMs)).toEqual([140, 400, 1100]);
    const quality = pick(
      [origin("us"), origin("eu")],
      {
        us: {
          load: {
            ...load(tier(0, 10)),
            tiers: { ...load(tier(0, 10)).tiers, quality: tier(5_000, 10) },
          },
        },
        eu: { load: load(tier(100, 10)) },
      },
      { tier: "quality", steps: 20 },
    );
    expect(regions(quality)).toEqual(["eu", "us"]);
  });

  it("scales the prediction by the request's own rows, pixels and images where the origin reports its costs", () => {
    // 12 ms per row-step and 5 ms per decode of a megapixel; recent steps took 10 ms.
    const costs = { row_step_ms_per_mpx: 12, decode_ms_per_mpx: 5 };
    const measured = load(tier(100, 10), { costs });
    const small = { ...QUERY, width: 256, height: 256, n: 1, steps: 4 };
    // A lone unguided 256² row costs less than recent steps: step_ms decides, plus its decode.
    expect(workMs(measured, small)).toBeCloseTo(100 + 4 * 10 + 5 * 0.065536, 6);
    // Four guided 1024² images: 8 rows of ~1.05 Mpx each step, 4 decodes.
    const big = { ...QUERY, width: 1024, height: 1024, n: 4, guidanceScale: 7.5, steps: 20 };
    const mpx = (1024 * 1024) / 1e6;
    expect(workMs(measured, big)).toBeCloseTo(100 + 20 * 8 * mpx * 12 + 4 * mpx * 5, 6);
    // An origin that reports no costs is judged by its recent steps alone, as before.
    expect(workMs(load(tier(100, 10)), big)).toBe(100 + 20 * 10);
    // And the ranking follows: the origin whose costs say the big request is slow there goes last.
    const ranked = pick(
      [origin("us"), origin("eu")],
      {
        us: { load: load(tier(0, 10), { costs: { ...costs, row_step_ms_per_mpx: 50 } }) },
        eu: { load: load(tier(500, 10), { costs }) },
      },
      big,
    );
    expect(regions(ranked)).toEqual(["eu", "us"]);
  });

  it("adds the RTT from the request's location: same colo, same continent, far", () => {
    const origins = [
      origin("ap", { continents: ["AS"] }),
      origin("eu", { continents: ["EU"] }),
      origin("us", { continents: ["NA"], colos: ["IAD"] }),
    ];
    expect(regions(pick(origins, {}, { continent: "NA", colo: "IAD" }))).toEqual([
      "us",
      "eu",
      "ap",
    ]);
    expect(regions(pick(origins, {}, { continent: "EU", colo: "FRA" }))).toEqual([
      "eu",
      "us",
      "ap",
    ]);
    // A nearby origin with a long queue loses to a far idle one.
    const busy = pick(
      origins,
      { us: { load: load(tier(2_000, 10)) }, eu: { load: load(tier(0, 10)) } },
      {
        continent: "NA",
        colo: "IAD",
      },
    );
    expect(regions(busy)[0]).toBe("eu");
  });

  it("treats unknown load as average, and breaks ties by weight, then registry order", () => {
    const ranked = pick([origin("us"), origin("eu"), origin("ap", { weight: 5 })], {
      us: { load: load(tier(1_000, 0)) },
      eu: { load: load(tier(0, 0)) },
    });
    // Average of the known: 500. eu (0) < ap (unknown → 500) < us (1000).
    expect(regions(ranked)).toEqual(["eu", "ap", "us"]);
    const tied = pick([origin("us"), origin("eu", { weight: 2 }), origin("ap", { weight: 2 })]);
    expect(regions(tied)).toEqual(["eu", "ap", "us"]);
  });
});

describe("rtt table", () => {
  it("estimates by colo, continent and continent pair, and reads overrides", () => {
    const table = DEFAULT_RTT_TABLE;
    const us = { colos: ["IAD"], continents: ["NA"] };
    expect(estimateRtt({ colo: "IAD", continent: "NA" }, us, table)).toBe(5);
    expect(estimateRtt({ colo: "SFO", continent: "NA" }, us, table)).toBe(35);
    expect(estimateRtt({ colo: "FRA", continent: "EU" }, us, table)).toBe(90);
    expect(estimateRtt({ colo: "JNB", continent: "AF" }, us, table)).toBe(220);
    expect(estimateRtt({ colo: null, continent: null }, us, table)).toBe(0);
    const custom = rttTable('{"far_ms": 300, "pairs": {"AF-NA": 150}}');
    expect(estimateRtt({ colo: "JNB", continent: "AF" }, us, custom)).toBe(150);
    expect(custom.sameColoMs).toBe(5);
    expect(rttTable("not json")).toBe(DEFAULT_RTT_TABLE);
  });
});
