// Guidance as a UNet input (LCM's `timestep_cond`): the guidance-scale embedding diffusers feeds it.

/**
 * diffusers' LatentConsistencyModelPipeline default guidance_scale. LCM was distilled with
 * w = guidance_scale − 1 drawn from about [2, 14]; w ≤ 0 lies outside what it learned.
 */
export const DEFAULT_EMBEDDED_GUIDANCE = 8.5;

/**
 * The guidance_scale a guidance-embedding model is conditioned on for a request's
 * `guidance_scale`. darkroom's tiers read g ≤ 1 as "no guidance" (the fast tier, where LCM runs,
 * allows at most 1 and defaults to 0); a distilled model has no unguided mode, and w = g − 1 ≤ 0
 * gives washed-out images, so such requests get the model's usual guidance instead. Above 1 the
 * request's value is used as is. A pure function of the request, so receipts still re-render.
 */
export function embeddedGuidanceScale(requested: number | undefined): number {
  return requested !== undefined && requested > 1 ? requested : DEFAULT_EMBEDDED_GUIDANCE;
}

/**
 * diffusers' `get_guidance_scale_embedding(w, embedding_dim)` for one row: with half = ⌊dim/2⌋
 * and f_i = exp(−i·ln(10000)/(half − 1)), it is [sin(1000·w·f_i) | cos(1000·w·f_i)], zero-padded
 * to `dim` when dim is odd. Computed in float64, stored as float32 (diffusers computes in float32:
 * the two differ by float32 rounding of the argument, ≤ 1e-3 at |1000·w| ≈ 10⁴).
 */
export function guidanceScaleEmbedding(w: number, dim: number): Float32Array {
  if (!Number.isInteger(dim) || dim < 4) {
    throw new RangeError(`guidance embedding width must be an integer ≥ 4, got ${dim}`);
  }
  const half = Math.floor(dim / 2);
  const rate = Math.log(10000) / (half - 1);
  const out = new Float32Array(dim);
  for (let i = 0; i < half; i++) {
    const arg = w * 1000 * Math.exp(-rate * i);
    out[i] = Math.sin(arg);
    out[half + i] = Math.cos(arg);
  }
  return out;
}

/** The `timestep_cond` row for a request's guidance_scale (w = g − 1, see embeddedGuidanceScale). */
export function guidanceConditioning(requested: number | undefined, dim: number): Float32Array {
  return guidanceScaleEmbedding(embeddedGuidanceScale(requested) - 1, dim);
}
