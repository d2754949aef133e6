import { describe, expect, it } from "vitest";
import { gaussianNoise, initialNoise, stepNoise } from "./noise";

function moments(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let squares = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean) };
}

function correlation(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / a.length / (moments(a).std * moments(b).std);
}

describe("gaussianNoise", () => {
  it("produces the documented values (cross-checked by an independent Python port)", () => {
    expect([...gaussianNoise(0, 0, 6)]).toEqual([
      0.991137683391571, -0.9246625900268555, -0.6176089644432068, -0.48206859827041626,
      -0.15363822877407074, 0.18082590401172638,
    ]);
    expect([...gaussianNoise(42, 1, 4)]).toEqual([
      -1.635977864265442, 0.09053567796945572, -1.585938811302185, 0.9147607684135437,
    ]);
  });

  it("is deterministic and prefix-stable, so any length regenerates the same values", () => {
    const long = gaussianNoise(123, 5, 1001);
    expect(gaussianNoise(123, 5, 1001)).toEqual(long);
    expect(gaussianNoise(123, 5, 7)).toEqual(long.subarray(0, 7));
  });

  it("gives independent streams and seeds", () => {
    const a = gaussianNoise(1, 1, 100_000);
    const b = gaussianNoise(1, 2, 100_000);
    const c = gaussianNoise(2, 1, 100_000);
    // |r| of independent N = 1e5 samples exceeds 0.015 with probability < 1e-5
    expect(Math.abs(correlation(a, b))).toBeLessThan(0.015);
    expect(Math.abs(correlation(a, c))).toBeLessThan(0.015);
  });

  it("is standard normal over 1e5 samples", () => {
    const { mean, std } = moments(gaussianNoise(2024, 0, 100_000));
    expect(Math.abs(mean)).toBeLessThan(0.015); // ≈ 4.7 standard errors
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    const tail = gaussianNoise(2024, 0, 100_000).filter((v) => Math.abs(v) > 1.96).length;
    expect(tail / 100_000).toBeGreaterThan(0.045);
    expect(tail / 100_000).toBeLessThan(0.055);
  });

  it("maps stream 0 to initial latents and stream k+1 to step k", () => {
    expect(initialNoise(9, 16)).toEqual(gaussianNoise(9, 0, 16));
    expect(stepNoise(9, 0)(16)).toEqual(gaussianNoise(9, 1, 16));
    expect(stepNoise(9, 19)(16)).toEqual(gaussianNoise(9, 20, 16));
    expect(stepNoise(9, 3)(16)).not.toEqual(stepNoise(9, 4)(16));
  });

  it("rejects seeds and streams that are not uint32", () => {
    expect(() => gaussianNoise(-1, 0, 4)).toThrow(RangeError);
    expect(() => gaussianNoise(2 ** 32, 0, 4)).toThrow(RangeError);
    expect(() => gaussianNoise(1.5, 0, 4)).toThrow(RangeError);
    expect(() => stepNoise(1, -1)).toThrow(RangeError);
    expect(gaussianNoise(2 ** 32 - 1, 0, 3)).toHaveLength(3);
  });
});
