// Builds the request's services from its bindings into `c.var.services`.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { breakerPolicy } from "../services/regions/breaker-policy";
import { rttTable } from "../services/regions/rtt-table";
import { buildServices } from "../services/services";

export function init() {
  return createMiddleware<AppEnv>(async function init(c, next) {
    const ctx = c.executionCtx;
    c.set(
      "services",
      buildServices({
        db: c.env.DB,
        keysCache: c.env.KEYS_CACHE,
        images: c.env.IMAGES,
        tenantGate: c.env.TENANT_GATE,
        origins: c.env.ORIGINS,
        originSecret: c.env.ORIGIN_SHARED_SECRET,
        regionBoard: c.env.REGION_BOARD,
        breakerPolicy: breakerPolicy(c.env),
        rtt: rttTable(c.env.REGION_RTT),
        waitUntil: (promise) => ctx.waitUntil(promise),
      }),
    );
    await next();
  });
}
