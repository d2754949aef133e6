// Unsigned probes: /healthz (process alive), /readyz (models loaded and warmed), /metrics.
import { Hono } from "hono";
import type { OriginMetrics } from "../metrics";
import { updateCacheRatios } from "../metrics-events";
import type { OriginEnv } from "../origin-env";
import type { OriginState } from "../origin-state";

export function healthRoutes(state: OriginState, metrics: OriginMetrics) {
  return new Hono<OriginEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", (c) => {
      const ready = state.phase === "ready";
      metrics.ready.set(ready ? 1 : 0);
      const body = {
        status: ready ? "ready" : state.phase,
        ...(state.failure ? { error: state.failure } : {}),
      };
      return c.json(body, ready ? 200 : 503);
    })
    .get("/metrics", async (c) => {
      const parts = state.loaded();
      if (parts) {
        updateCacheRatios(metrics, {
          embeddings: parts.pipeline.embeddings,
          latents: parts.scheduler.latents,
        });
        for (const [state, rows] of Object.entries(parts.scheduler.rowsByState())) {
          metrics.rows.set({ state }, rows);
        }
      }
      c.header("content-type", metrics.registry.contentType);
      return c.body(await metrics.registry.metrics());
    });
}
