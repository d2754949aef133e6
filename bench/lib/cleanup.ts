// What a benchmark started (origin processes, workerd under Miniflare, scratch folders), stopped on
// every way out: main()'s error path, SIGINT/SIGTERM, and as a last resort the process's "exit".
// Without it a failed run leaves origins holding their ports, and the next run fails with EADDRINUSE.
import type { ChildProcess } from "node:child_process";

interface Entry {
  name: string;
  stop: () => Promise<void>;
  /** Synchronous last resort, for process.on("exit") (SIGKILL, rmSync). */
  killNow?: () => void;
}

export interface Tracked {
  /** Stops it once, whoever calls first (the bench itself or the exit path), and forgets it. */
  stop(): Promise<void>;
  /** Forgets it without stopping it (it went away by itself). */
  untrack(): void;
}

/** How long the signal and error paths wait for graceful stops before killing what is left. */
const STOP_GRACE_MS = 15_000;

const live = new Set<Entry>();
let exitHookInstalled = false;

function killEveryEntry() {
  for (const entry of [...live].reverse()) {
    try {
      entry.killNow?.();
    } catch {
      // Already gone; the others still need their turn.
    }
  }
  live.clear();
}

/** The exit hook only: harmless in a test process, which keeps its own signal handling. */
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", killEveryEntry);
}

export function track(name: string, stop: () => Promise<unknown>, killNow?: () => void): Tracked {
  installExitHook();
  let stopping: Promise<void> | null = null;
  const entry: Entry = {
    name,
    killNow,
    // Called synchronously up to its first await, so a signal's SIGTERM goes out at once even if
    // another handler (Miniflare's) exits the process in the same turn.
    stop: () => {
      stopping ??= (async () => {
        try {
          await stop();
        } finally {
          live.delete(entry);
        }
      })();
      return stopping;
    },
  };
  live.add(entry);
  return { stop: entry.stop, untrack: () => live.delete(entry) };
}

/** A child process: SIGTERM and wait for its exit to stop it, SIGKILL at the last resort. */
export function trackChild(name: string, child: ChildProcess): Tracked {
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const tracked = track(
    name,
    () =>
      new Promise<void>((resolve) => {
        if (exited()) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
    () => {
      if (!exited()) child.kill("SIGKILL");
    },
  );
  child.once("exit", () => tracked.untrack());
  return tracked;
}

/** Stops everything still tracked, newest first in parallel; kills what outlasts the grace. */
export async function stopTracked(graceMs = STOP_GRACE_MS): Promise<void> {
  const entries = [...live].reverse();
  if (entries.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(entries.map((entry) => entry.stop())),
    new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs);
    }),
  ]);
  clearTimeout(timer);
  killEveryEntry();
}

/** Names of what is still tracked, for the signal path's message. */
const trackedNames = () => [...live].map((entry) => entry.name);

/**
 * Runs a benchmark's main(): exit 0 when it resolves; on an error, "<name> failed: <message>",
 * everything tracked stopped, exit 1; on SIGINT/SIGTERM, everything tracked stopped, exit 130/143
 * (a second signal kills what is left at once).
 */
export function runBench(name: string, main: () => Promise<void>): void {
  installExitHook();
  let exiting: number | null = null;
  const finish = (code: number) => {
    if (exiting !== null) return;
    exiting = code;
    stopTracked().finally(() => process.exit(code));
  };
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.on(signal, () => {
      if (exiting !== null) {
        killEveryEntry();
        process.exit(exiting);
      }
      const names = trackedNames();
      console.error(
        `${name}: ${signal}, stopping ${names.length ? names.join(", ") : "nothing"} and exiting…`,
      );
      finish(code);
    });
  }
  main().then(
    () => {
      if (exiting === null) process.exit(0);
    },
    (error: Error) => {
      // After a signal, the error is most often the stopped children's; the signal's code stands.
      if (exiting !== null) return;
      console.error(`${name} failed: ${error.message}`);
      finish(1);
    },
  );
}
