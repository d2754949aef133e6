// Unsigned probes: /healthz (alive and not failed for good), /readyz (loaded and warm), /metrics.
import { Hono } from "hono";
import { SplitUnetRuntime } from "../../runtime/split-runtime";
import type { OriginMetrics } from "../metrics";
import { updateCacheRatios } from "../metrics-events";
import type { OriginEnv } from "../origin-env";
import type { OriginState } from "../origin-state";

/**
 * These probes are unsigned and may be public, while a failure's message can name the model's URL,
 * and a presigned URL carries its credentials in the query: URLs lose their user info, query and
 * fragment here. The process's log keeps the whole message.
 */
export function publicFailure(message: string): string {
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (raw) => {
    const trailing = /[.,;:)\]]+$/.exec(raw)?.[0] ?? "";
    try {
      const url = new URL(raw.slice(0, raw.length - trailing.length));
      return `${url.protocol}//${url.host}${url.pathname}${trailing}`;
    } catch {
      return "<url>";
    }
  });
}

export function healthRoutes(state: OriginState, metrics: OriginMetrics) {
  return (
    new Hono<OriginEnv>()
      // Failed for good (a dead runtime): 503, so a liveness probe restarts the process.
      .get("/healthz", (c) =>
        state.phase === "failed"
          ? c.json({ status: "failed", error: publicFailure(state.failure ?? "") }, 503)
          : c.json({ status: "ok" }),
      )
      .get("/readyz", (c) => {
        const ready = state.phase === "ready";
        metrics.ready.set(ready ? 1 : 0);
        const body = {
          status: ready ? "ready" : state.phase,
          ...(state.failure ? { error: publicFailure(state.failure) } : {}),
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
          const runtime = parts.pipeline.runtime;
          metrics.unetInstances.set(
            runtime instanceof SplitUnetRuntime ? runtime.instanceCount : 0,
          );
        }
        c.header("content-type", metrics.registry.contentType);
        return c.body(await metrics.registry.metrics());
      })
  );
}
