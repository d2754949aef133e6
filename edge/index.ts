// The Worker entry: the Hono app as the fetch handler, the probe cron, and the Durable Object classes it binds.
import { createApp } from "./app";
import { openDatabase } from "./db/client";
import type { Bindings } from "./env";
import { probeAndPublish } from "./services/regions/origin-probe";
import { D1OriginRegistry } from "./services/regions/origin-registry";
import { RegionBoardClient } from "./services/regions/region-board-client";

export { GenerationJob } from "./services/jobs/generation-job-do";
export { RegionBoard } from "./services/regions/region-board-do";
export { TenantGate } from "./services/tenant-gate/tenant-gate-do";

const app = createApp();

/** Active health (wrangler.toml [triggers]): probe every origin, publish to the RegionBoard. */
async function scheduled(
  _controller: ScheduledController,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  const registry = new D1OriginRegistry(openDatabase(env.DB), env.ORIGINS, (p) => ctx.waitUntil(p));
  await probeAndPublish(registry, new RegionBoardClient(env.REGION_BOARD), {
    secret: env.ORIGIN_SHARED_SECRET,
  });
}

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Bindings>;
