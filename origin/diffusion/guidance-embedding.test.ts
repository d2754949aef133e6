import { describe, expect, it } from "vitest";
import {
  DEFAULT_EMBEDDED_GUIDANCE,
  embeddedGuidanceScale,
  guidanceConditioning,
  guidanceScaleEmbedding,
} from "./guidance-embedding";

describe("guidance-scale embedding (diffusers' get_guidance_scale_embedding)", () => {
  // w = 7.5 (guidance_scale 8.5), 256 wide as LCM_Dreamshaper_v7's time_cond_proj_dim:
  // half = 128, f_i = 10000^(−i/127), so f_0 = 1 and f_127 = 1e-4.
  const emb = guidanceScaleEmbedding(7.5, 256);

  it("is [sin | cos] of 1000·w·f_i, from f_0 = 1 down to f_(half−1) = 1e-4", () => {
    expect(emb).toHaveLength(256);
    expect(emb[0]).toBeCloseTo(Math.sin(7500), 6); // −0.8512359
    expect(emb[128]).toBeCloseTo(Math.cos(7500), 6); // −0.5247832
    expect(emb[127]).toBeCloseTo(0.6816388, 6); // sin(0.75)
    expect(emb[255]).toBeCloseTo(0.7316889, 6); // cos(0.75)
    // diffusers computes in float32 (0.8421312 for torch/numpy here): rounding of 1000·w·f_i.
    expect(emb[1]).toBeCloseTo(0.8422281, 3);
  });

  it("zero-pads an odd width", () => {
    // half = 2: f = [1, 1e-4]; w = 1.5 → arguments 1500 and 0.15.
    expect([...guidanceScaleEmbedding(1.5, 5)].map((v) => Number(v.toFixed(6)))).toEqual([
      -0.993902, 0.149438, -0.110267, 0.988771, 0,
    ]);
  });

  it("is all-sine-zero, all-cosine-one at w = 0", () => {
    expect([...guidanceScaleEmbedding(0, 8)]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it("refuses widths the formula divides by zero for", () => {
    expect(() => guidanceScaleEmbedding(1, 3)).toThrow(RangeError);
    expect(() => guidanceScaleEmbedding(1, 25.5)).toThrow(RangeError);
  });
});

describe("the guidance a request conditions an embedding model on", () => {
  it("takes the request's guidance above 1, the model default for 'no guidance' (g ≤ 1)", () => {
    expect([0, 1, undefined, 1.5, 8.5, 12].map(embeddedGuidanceScale)).toEqual([
      DEFAULT_EMBEDDED_GUIDANCE,
      DEFAULT_EMBEDDED_GUIDANCE,
      DEFAULT_EMBEDDED_GUIDANCE,
      1.5,
      8.5,
      12,
    ]);
    expect(DEFAULT_EMBEDDED_GUIDANCE).toBe(8.5);
  });

  it("embeds w = g − 1, as LatentConsistencyModelPipeline does", () => {
    expect(guidanceConditioning(3, 256)).toEqual(guidanceScaleEmbedding(2, 256));
    expect(guidanceConditioning(0, 256)).toEqual(guidanceScaleEmbedding(7.5, 256));
  });
});
