// bench:failover's run: steady load through the edge, the preferred origin killed mid-run, then restarted.
import {
  type GenerationRecord,
  generate,
  servedBy,
  steadyLoad,
} from "../../test/support/generation-client";
import { sleep } from "../../test/support/poll";
import type { RegionBed } from "../../test/support/region-bed";

export interface FailoverConfig {
  clients: number;
  steadyMs: number;
  /** How long the preferred origin stays dead. */
  downMs: number;
  /** Load after the restarted origin is ready again. */
  recoverMs: number;
  /** How often the registry is read for the breaker's state. */
  pollMs: number;
}

/** Instants on the bench's clock (performance.now(), ms); null when it never happened. */
export interface FailoverTimeline {
  loadStart: number;
  /** The origin's process group is gone (SIGKILL delivered and reaped). */
  killed: number;
  /** First registry read with the breaker "open". */
  breakerOpen: number | null;
  /** The dead origin's process is started again (until then nothing listens behind its proxy). */
  restartBegan: number;
  /** The restarted origin answered /readyz. */
  restartedReady: number;
  /** First request the restarted origin served. */
  servedAgain: number | null;
  /** First registry read with the breaker "closed" again after the restart. */
  breakerClosedAgain: number | null;
  loadEnd: number;
}

export interface FailoverRun {
  preferred: string;
  records: GenerationRecord[];
  timeline: FailoverTimeline;
  /** Generate calls that reached the dead origin's proxy from the kill to the restart. */
  attemptsAtDeadOrigin: number;
  breakerStates: Array<{ atMs: number; state: string | null }>;
}

type Log = (line: string) => void;

/** Reads the breaker every `pollMs` until stopped; each change is kept with its time. */
function watchBreaker(bed: RegionBed, region: string, pollMs: number) {
  const changes: Array<{ at: number; state: string | null }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const state = await bed.breaker(region).catch(() => "unreadable");
      if (changes.at(-1)?.state !== state) changes.push({ at: performance.now(), state });
      await sleep(pollMs);
    }
  })();
  return {
    changes,
    firstAfter: (state: string, after: number) =>
      changes.find((c) => c.state === state && c.at >= after)?.at ?? null,
    async stop() {
      running = false;
      await loop;
    },
  };
}

export async function runFailover(
  bed: RegionBed,
  key: string,
  config: FailoverConfig,
  log: Log,
): Promise<FailoverRun> {
  const send = () => generate(bed.stack.edgeUrl, key);
  const warm = await send();
  if (warm.status !== 200 || !warm.region) {
    throw new Error(`warm-up request failed: ${warm.status} ${warm.errorCode}`);
  }
  const preferred = warm.region;
  const region = bed.stack.region(preferred);
  log(`preferred region: ${preferred}; steady load with ${config.clients} clients…`);
  const watch = watchBreaker(bed, preferred, config.pollMs);
  const loadStart = performance.now();
  const load = steadyLoad(config.clients, send);
  let killed = 0;
  let restartBegan = 0;
  let restartedReady = 0;
  let attemptsAtDeadOrigin = 0;
  try {
    await sleep(config.steadyMs);
    log(`killing origin ${preferred} (SIGKILL) after ${load.records.length} requests…`);
    region.chaos?.resetCounts();
    await region.kill();
    killed = performance.now();
    await sleep(config.downMs);
    attemptsAtDeadOrigin = region.chaos?.stats().generate ?? 0;
    log(`restarting origin ${preferred}…`);
    restartBegan = performance.now();
    await region.restart();
    restartedReady = performance.now();
    await sleep(config.recoverMs);
  } finally {
    await load.stop();
    await watch.stop();
  }
  const loadEnd = performance.now();
  const records = load.records.slice();
  const servedAgain =
    records.find((r) => r.region === preferred && r.sentAt >= restartedReady)?.doneAt ?? null;
  log(
    `done: ${records.length} requests, served by ${JSON.stringify(Object.fromEntries(servedBy(records)))}`,
  );
  return {
    preferred,
    records,
    timeline: {
      loadStart,
      killed,
      breakerOpen: watch.firstAfter("open", killed),
      restartBegan,
      restartedReady,
      servedAgain,
      breakerClosedAgain: watch.firstAfter("closed", restartedReady),
      loadEnd,
    },
    attemptsAtDeadOrigin,
    breakerStates: watch.changes.map((c) => ({ atMs: c.at - loadStart, state: c.state })),
  };
}
