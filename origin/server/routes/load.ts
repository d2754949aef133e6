// GET /internal/v1/load: per-tier queue depth, predicted wait and step time, for the edge's router.
import { Hono } from "hono";
import type { LoadReport } from "../../../protocol/load";
import type { OriginEnv } from "../origin-env";
import type { OriginState } from "../origin-state";

const IDLE = { queue_depth: 0, predicted_wait_ms: 0, step_ms: 0 };

export function loadRoute(state: OriginState, region: string) {
  return new Hono<OriginEnv>().get("/", (c) => {
    const parts = state.loaded();
    const report: LoadReport = {
      region,
      ready: state.phase === "ready",
      draining: state.phase === "draining",
      models: parts ? [parts.pipeline.model.id] : [],
      tiers: parts?.scheduler.load() ?? { fast: IDLE, quality: IDLE, batch: IDLE },
      capacity: {
        running_rows: parts?.scheduler.inFlight() ?? 0,
        max_rows: parts
          ? Math.max(...Object.values(parts.scheduler.policy.tiers).map((t) => t.maxBatchRows))
          : 0,
      },
      ...(parts ? { costs: parts.scheduler.costs() } : {}),
    };
    return c.json(report);
  });
}
