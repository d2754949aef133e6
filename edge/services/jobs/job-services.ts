// The services a GenerationJob uses, built from the object's own bindings as the init middleware builds a request's.
import type { Bindings } from "../../env";
import { breakerPolicy } from "../regions/breaker-policy";
import { rttTable } from "../regions/rtt-table";
import { buildServices, type Services } from "../services";

/** Mirrors middleware/init.ts; `waitUntil` is the caller's own collector (a DO has no request to lend one). */
export function jobServices(
  env: Bindings,
  waitUntil: (promise: Promise<unknown>) => void,
): Services {
  return buildServices({
    db: env.DB,
    keysCache: env.KEYS_CACHE,
    images: env.IMAGES,
    tenantGate: env.TENANT_GATE,
    origins: env.ORIGINS,
    originSecret: env.ORIGIN_SHARED_SECRET,
    regionBoard: env.REGION_BOARD,
    breakerPolicy: breakerPolicy(env),
    rtt: rttTable(env.REGION_RTT),
    waitUntil,
  });
}
