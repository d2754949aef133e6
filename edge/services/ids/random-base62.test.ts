// Base62 generation: exact length and alphabet, and rejection of the bytes that would bias it.
import { describe, expect, it } from "vitest";
import { pooledFill, randomBase62 } from "./random-base62";

describe("randomBase62", () => {
  it("produces the requested length from the base62 alphabet", () => {
    for (const length of [1, 20, 40, 128]) {
      expect(randomBase62(length)).toMatch(new RegExp(`^[0-9A-Za-z]{${length}}$`));
    }
  });

  it("discards bytes 248–255 instead of folding them onto the first symbols", () => {
    // A source that yields only biased bytes first, then byte 61 ('z').
    let calls = 0;
    const fill = (bytes: Uint8Array) => {
      bytes.fill(calls++ === 0 ? 250 : 61);
      return bytes;
    };
    // With modulo folding, 250 % 62 = 2 would have produced "2".
    expect(randomBase62(8, fill)).toBe("zzzzzzzz");
    expect(calls).toBe(2);
  });

  it("maps each accepted byte to exactly one symbol, uniformly over 0–247", () => {
    const counts = new Map<string, number>();
    let next = 0;
    const fill = (bytes: Uint8Array) => {
      for (let i = 0; i < bytes.length; i++) bytes[i] = next++ % 248;
      return bytes;
    };
    for (const ch of randomBase62(248 * 10, fill)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    expect(new Set(counts.values())).toEqual(new Set([40]));
  });

  it("draws pooled bytes without repeating them, and refills when the pool runs out", () => {
    const seen = new Set<string>();
    // 4096-byte pool: 300 draws of 40 bytes cross at least two refills.
    for (let i = 0; i < 300; i++) {
      const bytes = pooledFill(new Uint8Array(40));
      seen.add(Array.from(bytes).join(","));
    }
    expect(seen.size).toBe(300);
    const ids = new Set(Array.from({ length: 1000 }, () => randomBase62(20)));
    expect(ids.size).toBe(1000);
  });

  it("serves draws larger than the pool straight from the CSPRNG", () => {
    const big = pooledFill(new Uint8Array(10_000));
    expect(new Set(big).size).toBeGreaterThan(200);
  });
});
