// The Worker entry: the Hono app as the fetch handler, the probe cron, and the Durable Object classes it binds.
import { createApp } from "./app";
import { openDatabase } from "./db/client";
import type { Bindings } from "./env";
import { D1IdempotencyStore } from "./services/idempotency/idempotency-store";
import { probeAndPublish } from "./services/regions/origin-probe";
import { D1OriginRegistry } from "./services/regions/origin-registry";
import { RegionBoardClient } from "./services/regions/region-board-client";

export { GenerationJob } from "./services/jobs/generation-job-do";
export { RegionBoard } from "./services/regions/region-board-do";
export { TenantGate } from "./services/tenant-gate/tenant-gate-do";

const app = createApp();

/** The cron (wrangler.toml [triggers], every minute): active health — probe every origin and
 *  publish to the RegionBoard — and dropping idempotency records no repeat can use any more. */
async function scheduled(
  _controller: ScheduledController,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  const db = openDatabase(env.DB);
  const registry = new D1OriginRegistry(db, env.ORIGINS, (p) => ctx.waitUntil(p));
  await Promise.all([
    probeAndPublish(registry, new RegionBoardClient(env.REGION_BOARD), {
      secret: env.ORIGIN_SHARED_SECRET,
    }),
    new D1IdempotencyStore(db, env.IMAGES).purgeExpired(),
  ]);
}

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Bindings>;
