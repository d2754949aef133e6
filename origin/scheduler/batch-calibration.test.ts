// Batch-size calibration against FAKE runtimes whose call cost is a given function of batch size.
import { describe, expect, it } from "vitest";
import { FakeClock, FakeRuntime } from "../../test/support/fake-runtime";
import { calibrateBatching, chooseBatchSize } from "./batch-calibration";

const costs = (...msPerItem: number[]) =>
  msPerItem.map((each, i) => ({ size: 2 ** i, ms: each * 2 ** i }));

describe("chooseBatchSize", () => {
  it.each([
    ["CPU-like: per row grows with the batch", costs(18, 20, 22), 1],
    ["flat within tolerance", costs(18, 18.5, 18.2, 18.8), 8],
    ["GPU-like: per row falls", costs(40, 21, 11, 6), 8],
    ["best in the middle", costs(20, 15, 14, 19), 4],
    ["a single size", costs(7), 1],
  ])("%s", (_, measured, expected) => {
    expect(chooseBatchSize(measured)).toBe(expected);
  });
});

/** A FAKE runtime whose UNet and VAE calls cost `unetMs(rows)` and `decodeMs(images)` fake ms. */
class CurveRuntime extends FakeRuntime {
  sizes: { unet: number[]; decode: number[] } = { unet: [], decode: [] };
  constructor(
    clock: FakeClock,
    private readonly unetCost: (rows: number) => number,
    private readonly decodeCost: (images: number) => number,
  ) {
    super(clock);
  }
  override async unet(rows: Parameters<FakeRuntime["unet"]>[0]) {
    this.sizes.unet.push(rows.length);
    this.clock.time += this.unetCost(rows.length);
    return rows.map((r) => r.sample);
  }
  override async decode(latents: readonly Float32Array[]) {
    this.sizes.decode.push(latents.length);
    this.clock.time += this.decodeCost(latents.length);
    return latents.map(() => new Float32Array(3));
  }
}

function calibrate(unetCost: (n: number) => number, decodeCost: (n: number) => number) {
  const clock = new FakeClock();
  const runtime = new CurveRuntime(clock, unetCost, decodeCost);
  const result = calibrateBatching(runtime, {
    h: 4,
    w: 4,
    maxRows: 16,
    maxImages: 8,
    now: () => clock.time,
  });
  return { runtime, result };
}

describe("calibrateBatching", () => {
  it("caps a CPU-like device at one row and stops probing once two bigger sizes lose", async () => {
    const { runtime, result } = calibrate(
      (rows) => rows * (18 + rows),
      (images) => (images === 1 ? 2.5 : images * 6),
    );
    const measured = await result;
    expect(measured).toMatchObject({ unetRows: 1, decodeImages: 1 });
    expect(new Set(runtime.sizes.unet)).toEqual(new Set([1, 2, 4]));
    expect(new Set(runtime.sizes.decode)).toEqual(new Set([1, 2, 4]));
  });

  it("does not let one slow size cap the batch when the next is cheap again", async () => {
    // A neighbour's burst made every probe of 2 rows slow; 4 and 8 are as cheap per row as 1.
    const { result } = calibrate(
      (rows) => rows * (rows === 2 ? 25 : 18),
      (images) => images * 3,
    );
    expect(await result).toMatchObject({ unetRows: 8 });
  });

  it("probes a flat curve up to the call budget and batches that far", async () => {
    const { runtime, result } = calibrate(
      (rows) => rows * 18,
      (images) => images * 3,
    );
    // UNet: 8 rows take 144 ms, so 16 (predicted 288 ms) is never started; VAE: 8 images, 24 ms.
    expect(await result).toMatchObject({ unetRows: 8, decodeImages: 8 });
    expect(new Set(runtime.sizes.unet)).toEqual(new Set([1, 2, 4, 8]));
  });

  it("lets a GPU-like device batch up to the policy's largest batch", async () => {
    const { result } = calibrate(
      (rows) => 30 + rows,
      (images) => 10 + images,
    );
    expect(await result).toMatchObject({ unetRows: 16, decodeImages: 8 });
  });
});
