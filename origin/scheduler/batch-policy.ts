// The batcher's explicit limits per tier: batch size, wait window, aging, queue bound.
import type { Tier } from "../../protocol/tiers";

export interface TierPolicy {
  /** Most UNet rows a batch may hold while it contains work of this tier (CFG rows count twice). */
  maxBatchRows: number;
  /** How long queued work of this tier may wait for company before it starts a new batch. */
  maxWaitMs: number;
  /** Queued or paused work climbs one tier of priority per this much waiting (never-starve). */
  agingMs: number;
  /** Most UNet rows of this tier that may wait in the queue; beyond it, 429 overloaded. */
  maxQueuedRows: number;
}

export interface BatchPolicy {
  tiers: Record<Tier, TierPolicy>;
  /** FIFO mode: one job at a time in arrival order, no priorities, no joining, no preemption. */
  fifo: boolean;
  /** Snapshots of each row's latent after every step, for edits that re-enter at step k. */
  keepLatents: boolean;
  /**
   * The device's limits, over every tier's: most UNet rows per call and images per VAE call, where
   * bigger calls stop paying (batch-calibration.ts measures them at start). Unset: no extra limit.
   */
  deviceRows?: number;
  deviceDecodeImages?: number;
}

/** The policy with the device limits a calibration measured. */
export function withDeviceLimits(
  policy: BatchPolicy,
  limits: { unetRows: number; decodeImages: number },
): BatchPolicy {
  return { ...policy, deviceRows: limits.unetRows, deviceDecodeImages: limits.decodeImages };
}

/**
 * Queue bounds cap memory; deadlines are admission's job. The fast tier's 256 rows are about its
 * 5 s deadline's worth of work on two CPU cores (2 steps × ~11 ms a row): a bound of 64 refused
 * fast requests that would have made their deadline, 6–14 of the 96 in bench:scheduler's burst.
 */
export const DEFAULT_BATCH_POLICY: BatchPolicy = {
  tiers: {
    fast: { maxBatchRows: 4, maxWaitMs: 0, agingMs: 60_000, maxQueuedRows: 256 },
    quality: { maxBatchRows: 8, maxWaitMs: 5, agingMs: 20_000, maxQueuedRows: 128 },
    batch: { maxBatchRows: 16, maxWaitMs: 250, agingMs: 10_000, maxQueuedRows: 1024 },
  },
  fifo: false,
  keepLatents: true,
};

export const FIFO_BATCH_POLICY: BatchPolicy = {
  tiers: {
    fast: { maxBatchRows: 1, maxWaitMs: 0, agingMs: Number.POSITIVE_INFINITY, maxQueuedRows: 1024 },
    quality: {
      maxBatchRows: 1,
      maxWaitMs: 0,
      agingMs: Number.POSITIVE_INFINITY,
      maxQueuedRows: 1024,
    },
    batch: {
      maxBatchRows: 1,
      maxWaitMs: 0,
      agingMs: Number.POSITIVE_INFINITY,
      maxQueuedRows: 1024,
    },
  },
  fifo: true,
  keepLatents: false,
};
