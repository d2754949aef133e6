// The request → plan mapping as a table: tiers from quality, defaults, and each tier-dependent refusal.
import { describe, expect, it } from "vitest";
import type { Tier } from "../../../protocol/tiers";
import { type ImageRequestFields, planGeneration } from "./generation-plan";

const ALL: Tier[] = ["fast", "quality", "batch"];
const plan = (fields: Partial<ImageRequestFields>, allowedTiers: Tier[] = ALL) =>
  planGeneration(
    { prompt: "a fox", ...fields },
    { allowedTiers, modelIds: ["tiny-sd"], randomSeed: () => 99 },
  );

describe("planGeneration", () => {
  it("defaults to the quality tier at 512x512 with its defaults and a random seed", () => {
    expect(plan({})).toMatchObject({
      ok: true,
      plan: {
        tier: "quality",
        model: "default",
        width: 512,
        height: 512,
        steps: 20,
        guidanceScale: 7.5,
        scheduler: "euler_ancestral",
        seed: 99,
        n: 1,
        outputFormat: "png",
        responseFormat: "b64_json",
        deadlineMs: 60_000,
        unitsPerImage: 1,
      },
    });
  });

  it.each([
    ["low", "fast", 2],
    ["medium", "quality", 20],
    ["standard", "quality", 20],
    ["auto", "quality", 20],
    ["high", "quality", 40],
    ["hd", "quality", 40],
  ] as const)("maps quality %s to the %s tier with %i steps", (quality, tier, steps) => {
    expect(plan({ quality })).toMatchObject({ ok: true, plan: { tier, steps } });
  });

  it.each([
    ["batch tier", { tier: "batch" }, "invalid_request", "tier"],
    ["unknown model", { model: "dall-e-3" }, "invalid_request", "model"],
    [
      "size outside the fast buckets",
      { quality: "low", size: "1024x1024" },
      "invalid_request",
      "size",
    ],
    ["size not a bucket", { size: "1000x1000" }, "invalid_request", "size"],
    ["fast steps above 4", { tier: "fast", steps: 5 }, "invalid_request", "steps"],
    ["quality steps below 8", { steps: 7 }, "invalid_request", "steps"],
    [
      "guidance on the fast tier",
      { tier: "fast", guidance_scale: 2 },
      "invalid_request",
      "guidance_scale",
    ],
    ["lcm on the quality tier", { scheduler: "lcm" }, "invalid_request", "scheduler"],
    ["only invisible characters", { prompt: "\u200B\u200D\u2060" }, "invalid_request", "prompt"],
    ["whitespace only", { prompt: "   \n " }, "invalid_request", "prompt"],
  ] as const)("refuses %s", (_label, fields, code, param) => {
    expect(plan(fields as Partial<ImageRequestFields>)).toMatchObject({ ok: false, code, param });
  });

  it("refuses a tier the tenant may not use with 403, naming the field that chose it", () => {
    expect(plan({ quality: "low" }, ["quality"])).toMatchObject({
      ok: false,
      code: "tier_not_allowed",
      param: "quality",
    });
    expect(plan({ tier: "quality" }, ["fast"])).toMatchObject({
      code: "tier_not_allowed",
      param: "tier",
    });
  });

  it("prices an image in cost units from size and steps", () => {
    const big = plan({ size: "1024x1024", quality: "hd" });
    expect(big.ok && big.plan.unitsPerImage).toBe(8);
  });
});

describe("prompt length after cleaning", () => {
  // U+1F98A (fox) is one code point, two UTF-16 units: zod's .max() counts it once.
  const fox = "\u{1F98A}";

  it.each([2_001, 4_000])("accepts %i astral characters, as the schema does", (count) => {
    const planned = plan({ prompt: fox.repeat(count) });
    expect(planned).toMatchObject({ ok: true });
    expect(planned.ok && [...planned.plan.cleanedPrompt].length).toBe(count);
  });

  it("refuses a prompt that cleaning takes past 4000 characters", () => {
    // U+FDFA expands under NFKC to 18 characters: 223 of them become 4014.
    expect(plan({ prompt: "\uFDFA".repeat(223) })).toMatchObject({
      ok: false,
      code: "invalid_request",
      param: "prompt",
    });
  });
});
