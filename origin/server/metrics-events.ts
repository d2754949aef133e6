// Feeds the batcher's events and cache counters into the origin's Prometheus metrics.
import type { Tier } from "../../protocol/tiers";
import type { EmbeddingCache } from "../engine/embedding-cache";
import type { LatentCache } from "../engine/latent-cache";
import type { SchedulerEvents } from "../scheduler/scheduler-events";
import type { OriginMetrics } from "./metrics";

export function schedulerMetrics(metrics: OriginMetrics): SchedulerEvents {
  return {
    queueWait: (tier: Tier, ms: number) => metrics.queueSeconds.observe({ tier }, ms / 1000),
    batchRows: (rows: number) => metrics.batchRows.observe(rows),
    preempted: (tier: Tier) => metrics.preemptions.inc({ tier }),
    deadlineDropped: (tier: Tier) => metrics.deadlineDrops.inc({ tier }),
    canceled: (tier: Tier) => metrics.cancellations.inc({ tier }),
    rejected: (tier: Tier, reason: string) => metrics.rejections.inc({ tier, reason }),
    degraded: (tier: Tier) => metrics.degradations.inc({ tier }),
    computed: (stage, ms) => metrics.computeSeconds.inc({ stage }, ms / 1000),
  };
}

const ratio = (hits: number, misses: number) => (hits + misses === 0 ? 0 : hits / (hits + misses));

/** Refreshes the hit-ratio gauges; called on every scrape. */
export function updateCacheRatios(
  metrics: OriginMetrics,
  caches: { embeddings: EmbeddingCache; latents: LatentCache | null },
) {
  metrics.cacheHitRatio.set(
    { cache: "embedding" },
    ratio(caches.embeddings.hits, caches.embeddings.misses),
  );
  if (caches.latents) {
    metrics.cacheHitRatio.set(
      { cache: "latent" },
      ratio(caches.latents.hits, caches.latents.misses),
    );
  }
}
