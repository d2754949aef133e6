// The SD training noise schedule (scaled-linear betas) that the UNet bakes in as lookup tables.

export const TRAIN_TIMESTEPS = 1000;
export const BETA_START = 0.00085;
export const BETA_END = 0.012;

/** ᾱ_t for t = 0..999, as diffusers computes it for beta_schedule "scaled_linear". */
export function alphasCumprod(): Float64Array {
  const lo = Math.sqrt(BETA_START);
  const hi = Math.sqrt(BETA_END);
  const out = new Float64Array(TRAIN_TIMESTEPS);
  let prod = 1;
  for (let t = 0; t < TRAIN_TIMESTEPS; t++) {
    const b = lo + ((hi - lo) * t) / (TRAIN_TIMESTEPS - 1);
    prod *= 1 - b * b;
    out[t] = prod;
  }
  return out;
}

/** Karras σ_t = sqrt((1 − ᾱ_t) / ᾱ_t), the Euler scheduler's noise level for timestep t. */
export function sigmaAt(t: number): number {
  const a = alphasCumprod()[t]!;
  return Math.sqrt((1 - a) / a);
}
