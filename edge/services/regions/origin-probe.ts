// Active health: GET /readyz and a signed GET /internal/v1/load on every origin, published to the RegionBoard.
import { type LoadReport, LoadReportSchema } from "../../../protocol/load";
import { signRequest } from "../../../protocol/signing";
import type { FetchLike } from "../origins/origin-call";
import { logRefusedSignature } from "../origins/origin-secret";
import type { OriginRegistry, RoutableOrigin } from "./origin-registry";
import type { RegionBoardClient } from "./region-board-client";
import type { ProbeResult } from "./region-board-do";

export const LOAD_PATH = "/internal/v1/load";
/** A probe answers in milliseconds when healthy; a slower one counts as not ready this round. */
export const PROBE_TIMEOUT_MS = 2_000;

export interface ProbeOptions {
  readonly secret: string;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
  readonly timeoutMs?: number;
}

/** Probes every origin in parallel; never throws (an unreachable origin is a not-ready result). */
export function probeOrigins(
  origins: readonly RoutableOrigin[],
  options: ProbeOptions,
): Promise<ProbeResult[]> {
  return Promise.all(origins.map((origin) => probeOrigin(origin, options)));
}

async function probeOrigin(origin: RoutableOrigin, options: ProbeOptions): Promise<ProbeResult> {
  const fetcher: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const [readyz, load] = await Promise.all([
    readyzOk(origin.url, fetcher, timeoutMs),
    readLoad(origin, options.secret, fetcher, timeoutMs),
  ]);
  const at = (options.now ?? Date.now)();
  if (load === "refused") return { region: origin.region, ready: false, load: null, at };
  // The load report says ready too; both must agree, so a draining origin reads as not ready.
  const ready = readyz && (load === null || (load.ready && !load.draining));
  return { region: origin.region, ready, load, at };
}

async function readyzOk(url: string, fetcher: FetchLike, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetcher(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function readLoad(
  { url, region }: RoutableOrigin,
  secret: string,
  fetcher: FetchLike,
  timeoutMs: number,
): Promise<LoadReport | "refused" | null> {
  try {
    const signed = await signRequest(secret, { method: "GET", path: LOAD_PATH, body: "" });
    const res = await fetcher(`${url}${LOAD_PATH}`, {
      headers: { accept: "application/json", ...signed },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) {
      const refused = res.status === 401;
      await res.body?.cancel();
      // Its secret is not the edge's: every generation would be refused there, so not ready.
      if (refused) logRefusedSignature(region);
      return refused ? "refused" : null;
    }
    const parsed = LoadReportSchema.safeParse(await res.json());
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** What the cron and POST /admin/origins/probe run: probe the routable origins, publish the results. */
export async function probeAndPublish(
  registry: OriginRegistry,
  board: RegionBoardClient,
  options: ProbeOptions,
): Promise<ProbeResult[]> {
  const results = await probeOrigins(await registry.routable(), options);
  await board.publishProbes(results);
  return results;
}
