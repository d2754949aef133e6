// The latent cache's key: renders that differ in anything shaping their latents never share an entry.
import { describe, expect, it } from "vitest";
import { LatentCache, type LatentOrigin } from "./latent-cache";

const base: LatentOrigin = {
  tenantId: "ten_a",
  modelSha256: "model",
  embeddingKey: "emb",
  seed: 7,
  scheduler: "ddim",
  steps: 8,
  width: 256,
  height: 256,
  guidance_scale: 5,
  resumedFrom: "",
};

/** A latent of `width`×`height` pixels (4 channels, 8 pixels a cell) filled with `value`. */
function latentOf(o: LatentOrigin, value: number): Float32Array {
  return new Float32Array((4 * o.width * o.height) / 64).fill(value);
}

describe("LatentCache", () => {
  it.each<[string, Partial<LatentOrigin>]>([
    ["size", { width: 512, height: 512 }],
    ["guidance scale", { guidance_scale: 7.5 }],
    ["resume source", { resumedFrom: "orig#0@4" }],
  ])("keeps two renders differing only in %s apart", (_, change) => {
    const cache = new LatentCache();
    const other = { ...base, ...change };
    cache.put("first", 0, base, 4, latentOf(base, 1));
    cache.put("second", 0, other, 4, latentOf(other, 2));
    const first = cache.find("first", 0, 4, "model", "ten_a");
    expect(first?.origin).toEqual(base);
    expect(first?.latent.length).toBe(latentOf(base, 0).length);
    expect(first?.latent[0]).toBe(1);
    expect(cache.find("second", 0, 4, "model", "ten_a")?.latent[0]).toBe(2);
  });
});
