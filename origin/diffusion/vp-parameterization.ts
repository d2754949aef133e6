// The variance-preserving view shared by DDIM and LCM: x_t = √ᾱ·x0 + √(1−ᾱ)·ε.

/** What the unet predicts: the noise ε, the velocity v, or the clean sample x0 itself. */
export type PredictionType = "epsilon" | "v_prediction" | "sample";

/**
 * What the unet's output means, as linear coefficients on (sample, modelOutput):
 * x0 = x0FromSample·x + x0FromOutput·m and ε = epsFromSample·x + epsFromOutput·m.
 */
export interface VpCoefficients {
  x0FromSample: number;
  x0FromOutput: number;
  epsFromSample: number;
  epsFromOutput: number;
}

export function vpCoefficients(predictionType: PredictionType, alphaProd: number): VpCoefficients {
  const sqrtAlpha = Math.sqrt(alphaProd);
  const sqrtBeta = Math.sqrt(1 - alphaProd);
  if (predictionType === "epsilon") {
    return {
      x0FromSample: 1 / sqrtAlpha,
      x0FromOutput: -sqrtBeta / sqrtAlpha,
      epsFromSample: 0,
      epsFromOutput: 1,
    };
  }
  if (predictionType === "sample") {
    // As diffusers' DDIM and LCM: x0 is the output, ε = (x − √ᾱ·x0)/√(1−ᾱ) from the unclipped x0.
    return {
      x0FromSample: 0,
      x0FromOutput: 1,
      epsFromSample: 1 / sqrtBeta,
      epsFromOutput: -sqrtAlpha / sqrtBeta,
    };
  }
  // v = √ᾱ·ε − √(1−ᾱ)·x0 (Salimans & Ho 2022)
  return {
    x0FromSample: sqrtAlpha,
    x0FromOutput: -sqrtBeta,
    epsFromSample: sqrtBeta,
    epsFromOutput: sqrtAlpha,
  };
}

/** diffusers' `clip_sample`: clamps the predicted x0 to ±range; a no-op when range is Infinity. */
export function clamp(value: number, range: number): number {
  return Math.min(range, Math.max(-range, value));
}
