// The Worker entry: the Hono app as the fetch handler, the cron (probes, idempotency and audit purges), and the Durable Object classes it binds.
import { createApp } from "./app";
import { openDatabase } from "./db/client";
import type { Bindings } from "./env";
import { AuditRetention, auditRetentionDays } from "./services/audit/audit-retention";
import { D1IdempotencyStore } from "./services/idempotency/idempotency-store";
import { probeAndPublish } from "./services/regions/origin-probe";
import { D1OriginRegistry } from "./services/regions/origin-registry";
import { RegionBoardClient } from "./services/regions/region-board-client";

export { GenerationJob } from "./services/jobs/generation-job-do";
export { RegionBoard } from "./services/regions/region-board-do";
export { TenantGate } from "./services/tenant-gate/tenant-gate-do";

const app = createApp();

/** The cron (wrangler.toml [triggers], every minute): active health — probe every origin and
 *  publish to the RegionBoard — dropping idempotency records no repeat can use any more, and
 *  audit records past AUDIT_RETENTION_DAYS. */
async function scheduled(
  _controller: ScheduledController,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  const db = openDatabase(env.DB);
  const registry = new D1OriginRegistry(db, env.ORIGINS, (p) => ctx.waitUntil(p));
  // Each task on its own: one failing (D1 down, say) must not cut the others short.
  const tasks = {
    probe: probeAndPublish(registry, new RegionBoardClient(env.REGION_BOARD), {
      secret: env.ORIGIN_SHARED_SECRET,
    }),
    idempotency_purge: new D1IdempotencyStore(db, env.IMAGES).purgeExpired(),
    audit_purge: new AuditRetention(
      db,
      auditRetentionDays(env.AUDIT_RETENTION_DAYS),
    ).purgeExpired(),
  };
  const settled = await Promise.allSettled(Object.values(tasks));
  const failed: string[] = [];
  for (const [i, name] of Object.keys(tasks).entries()) {
    const outcome = settled[i];
    if (outcome?.status !== "rejected") continue;
    failed.push(name);
    const message = String(outcome.reason);
    console.error(JSON.stringify({ level: "error", msg: "cron task failed", task: name, message }));
  }
  // The run still counts as failed (Cron Events show it) once every task has had its go.
  if (failed.length > 0) throw new Error(`cron tasks failed: ${failed.join(", ")}`);
}

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Bindings>;
