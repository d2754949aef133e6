// The VAE output pool: a buffer is reused only once every view lent over it has come back.
import { describe, expect, it } from "vitest";
import { PixelPool } from "./pixel-pool";

describe("PixelPool", () => {
  it("reuses a released buffer for the next take of the same length", () => {
    const pool = new PixelPool();
    const [image] = pool.lend(pool.take(12), 1);
    pool.release([image!]);
    expect(pool.idle(12)).toBe(1);
    expect(pool.take(12)).toBe(image);
    expect(pool.take(12)).not.toBe(image);
    expect(pool.take(6).length).toBe(6);
  });

  it("returns a batch's buffer only when all of its images are back", () => {
    const pool = new PixelPool();
    const buffer = pool.take(12);
    const views = pool.lend(buffer, 3);
    expect(views.map((v) => [v.byteOffset, v.length])).toEqual([
      [0, 4],
      [16, 4],
      [32, 4],
    ]);
    pool.release([views[0]!, views[2]!]);
    expect(pool.idle(12)).toBe(0);
    pool.release([views[1]!]);
    expect(pool.idle(12)).toBe(1);
  });

  it("ignores double releases and buffers it never lent", () => {
    const pool = new PixelPool();
    const [image] = pool.lend(pool.take(8), 1);
    pool.release([image!]);
    pool.release([image!]);
    pool.release([new Float32Array(8)]);
    expect(pool.idle(8)).toBe(1);
    // Taken again and not yet released: a stale release of the first lease must not pool it.
    const again = pool.take(8);
    pool.release([image!]);
    expect(pool.idle(8)).toBe(0);
    expect(again).toBe(image);
  });

  it("keeps at most keepPerSize idle buffers of one length", () => {
    const pool = new PixelPool(2);
    const lent = [1, 2, 3].map(() => pool.lend(pool.take(4), 1)[0]!);
    pool.release(lent);
    expect(pool.idle(4)).toBe(2);
  });
});
