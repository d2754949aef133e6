// How many rows one UNet call (and images one VAE call) should take on this device, measured at start.
//
// Batching pays on a GPU: a batch of 8 costs little more than a batch of 1. On a CPU it can lose:
// with other thread settings tiny-sd's UNet rows have cost more per row in bigger batches, and a
// batcher that always fills its batches then serves fewer images per second than FIFO. (On this
// project's 2-core VM, both cores per call, 8 rows cost 10.6 ms each against 11.7 alone.) So the
// origin measures once, after warm-up, and caps its batches at the largest size that costs
// (nearly) no more per item than the best one.
import type { DiffusionRuntime, UnetRow } from "../engine/diffusion-runtime";

export interface SizeCost {
  size: number;
  /** Fastest wall time of one call of this size, ms. */
  ms: number;
}

export interface BatchCalibration {
  /** Most UNet rows per call (a guided image alone still runs: it needs two). */
  unetRows: number;
  /** Most images per VAE call. */
  decodeImages: number;
  unet: SizeCost[];
  decode: SizeCost[];
}

/**
 * The largest measured size whose cost per item is within `tolerance` of the cheapest per item:
 * bigger batches are only worth it while they are (nearly) as efficient.
 */
export function chooseBatchSize(costs: readonly SizeCost[], tolerance = 0.05): number {
  const perItem = costs.map((c) => ({ size: c.size, each: c.ms / c.size }));
  const best = Math.min(...perItem.map((c) => c.each));
  const fit = perItem.filter((c) => c.each <= best * (1 + tolerance));
  return Math.max(1, ...fit.map((c) => c.size));
}

/** The fastest of `repeats` timed calls after one untimed: other load on the machine only adds. */
async function fastestMs(
  run: () => Promise<unknown>,
  repeats: number,
  now: () => number,
): Promise<number> {
  await run();
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const t = now();
    await run();
    fastest = Math.min(fastest, now() - t);
  }
  return fastest;
}

/**
 * Doubles the size from 1 up to `max`, and never starts a call predicted (2 × the last one) to take
 * longer than `callBudgetMs`: a flat CPU curve is probed up to the batch sizes that keep start-up
 * short (~1 s here), a GPU climbs as far as batching keeps paying. It stops once two sizes in a
 * row cost more per item than `tolerance` above the best: one slow sample on a shared machine
 * (a neighbour's burst during the fastest of three calls) must not cap every batch for the
 * process's life, as it once capped tiny-sd's at 2 rows where 8 were cheapest.
 */
async function probeSizes(
  max: number,
  callOf: (size: number) => () => Promise<unknown>,
  o: Required<Pick<CalibrationOptions, "repeats" | "tolerance" | "now" | "callBudgetMs">>,
): Promise<SizeCost[]> {
  const costs: SizeCost[] = [];
  for (let size = 1; size <= max; size *= 2) {
    const last = costs.at(-1);
    if (last && last.ms * 2 > o.callBudgetMs) break;
    costs.push({ size, ms: await fastestMs(callOf(size), o.repeats, o.now) });
    if (chooseBatchSize(costs, o.tolerance) < size / 2) break;
  }
  return costs;
}

export interface CalibrationOptions {
  /** Latent height and width to measure at (the fast tier's default size / 8). */
  h: number;
  w: number;
  maxRows: number;
  maxImages: number;
  repeats?: number;
  tolerance?: number;
  /** Injectable for tests (a fake runtime advancing a fake clock). */
  now?: () => number;
  /** Longest single call the probe may start (predicted from the size before), ms. */
  callBudgetMs?: number;
}

export async function calibrateBatching(
  runtime: DiffusionRuntime,
  o: CalibrationOptions,
): Promise<BatchCalibration> {
  const { latentChannels, seqLen, hiddenSize } = runtime.model;
  const timing = {
    repeats: o.repeats ?? 3,
    tolerance: o.tolerance ?? 0.05,
    now: o.now ?? (() => performance.now()),
    callBudgetMs: o.callBudgetMs ?? 150,
  };
  const latent = new Float32Array(latentChannels * o.h * o.w).fill(0.1);
  const row: UnetRow = {
    sample: latent,
    timestep: 999,
    context: new Float32Array(seqLen * hiddenSize),
  };
  const unet = await probeSizes(
    o.maxRows,
    (rows) => () =>
      runtime.unet(
        Array.from({ length: rows }, () => row),
        o.h,
        o.w,
      ),
    timing,
  );
  const decode = await probeSizes(
    o.maxImages,
    // Handed back as the server does after encoding, so each call reuses its pooled output
    // instead of paying for fresh pages (which made batches look 2× costlier per image).
    (images) => async () => {
      const pixels = await runtime.decode(
        Array.from({ length: images }, () => latent),
        o.h,
        o.w,
      );
      runtime.releasePixels?.(pixels);
    },
    timing,
  );
  return {
    unetRows: chooseBatchSize(unet, timing.tolerance),
    decodeImages: chooseBatchSize(decode, timing.tolerance),
    unet,
    decode,
  };
}
