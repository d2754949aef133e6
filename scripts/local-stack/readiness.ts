// Pre-flight port checks and readiness polling for the local stack's processes.
import { createServer } from "node:net";
import type { ManagedChild } from "./child-group";

export interface PortClaim {
  host: string;
  port: number;
  /** What listens there, e.g. "origin us". */
  role: string;
  /** The environment variable that moves it. */
  envVar: string;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Fails before anything starts, naming the variable to set for each port that is taken. */
export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const seen = new Map<number, PortClaim>();
  const problems: string[] = [];
  for (const claim of claims) {
    const clash = seen.get(claim.port);
    if (clash) {
      problems.push(
        `${claim.role} and ${clash.role} both asked for port ${claim.port}: set ${claim.envVar} or ${clash.envVar} to another port.`,
      );
      continue;
    }
    seen.set(claim.port, claim);
    if (!(await portFree(claim.host, claim.port))) {
      problems.push(
        `port ${claim.port} (${claim.role}) is in use on ${claim.host}: stop what holds it ` +
          `(ss -ltnp 'sport = :${claim.port}') or set ${claim.envVar}=<free port>.`,
      );
    }
  }
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Polls `url` until it answers 200; fails fast if the child exits, and after `timeoutMs`. */
export async function waitUntilReady(
  child: ManagedChild,
  url: string,
  timeoutMs: number,
  hint: string,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const status = child.exitedWith();
    if (status !== null) {
      throw new Error(
        `${child.name} exited (${String(status)}) before ${url} answered. ${hint}\n` +
          `--- last lines of ${child.logPath} ---\n${child.logTail()}`,
      );
    }
    if (await answers200(url)) return performance.now() - started;
    await sleep(100);
  }
  throw new Error(
    `${child.name} was not ready at ${url} after ${timeoutMs / 1000} s. ${hint}\n` +
      `--- last lines of ${child.logPath} ---\n${child.logTail()}`,
  );
}
