// One region of a running local stack: its origin process (killable, restartable) and its optional chaos proxy.
import { ChaosProxy } from "./chaos-proxy";
import type { ManagedChild } from "./child-group";
import { type Progress, restartOrigin } from "./origin-regions";
import {
  edgeFacingUrlOf,
  HOST,
  type LocalStackConfig,
  type OriginRegionConfig,
  originUrlOf,
} from "./stack-config";

export interface StackOrigin {
  readonly region: string;
  /** What the edge calls: the chaos proxy when there is one, else the origin itself. */
  readonly url: string;
  /** The origin process's own URL. */
  readonly directUrl: string;
  readonly chaos: ChaosProxy | null;
  /** The current process (a restart replaces it). */
  child(): ManagedChild;
  /** SIGKILL to the origin's process group, as a crash would: no drain. Resolves once it is gone. */
  kill(): Promise<void>;
  /** Starts the origin again on the same port; resolves once it answers /readyz. */
  restart(): Promise<void>;
}

export async function startChaosProxies(
  config: LocalStackConfig,
): Promise<Map<string, ChaosProxy>> {
  const proxies = new Map<string, ChaosProxy>();
  try {
    for (const origin of config.origins) {
      if (origin.proxyPort === undefined) continue;
      const proxy = await ChaosProxy.start({
        host: HOST,
        port: origin.proxyPort,
        upstream: originUrlOf(origin),
      });
      proxies.set(origin.region, proxy);
    }
  } catch (error) {
    await Promise.all([...proxies.values()].map((p) => p.close()));
    throw error;
  }
  return proxies;
}

export function stackOrigin(
  config: LocalStackConfig,
  origin: OriginRegionConfig,
  first: ManagedChild,
  chaos: ChaosProxy | null,
  onNewChild: (child: ManagedChild) => void,
  progress: Progress,
): StackOrigin {
  let current = first;
  let killed = false;
  return {
    region: origin.region,
    url: edgeFacingUrlOf(origin),
    directUrl: originUrlOf(origin),
    chaos,
    child: () => current,
    async kill() {
      killed = true;
      current.killNow();
      await current.exited;
      await current.stop(0);
    },
    async restart() {
      if (!killed && current.exitedWith() === null) await current.stop();
      current = await restartOrigin(config, origin, progress);
      killed = false;
      onNewChild(current);
    },
  };
}
