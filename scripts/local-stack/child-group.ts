// Child processes of the local stack: each in its own process group, output to a log file, stopped as a group.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";

export interface ManagedChild {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (or the signal's name) once the group leader exits. */
  readonly exited: Promise<number | string>;
  exitedWith(): number | string | null;
  /** From now on, every output line also goes here (the terminal, once the stack is up). */
  tee(sink: (line: string) => void): void;
  /** SIGTERM to the whole group, SIGKILL after `graceMs`; resolves when no member is left. */
  stop(graceMs?: number): Promise<void>;
  /** Synchronous SIGKILL to the group, for `process.on("exit")`. */
  killNow(): void;
  logTail(lines?: number): string;
}

const live = new Set<ManagedChild>();
let exitHookInstalled = false;

/** Last resort: if this process exits without stopping its children, kill their groups anyway. */
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.killNow();
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lineSplitter(onLine: (line: string) => void) {
  let pending = "";
  return (chunk: Buffer) => {
    const lines = (pending + chunk.toString("utf8")).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) onLine(line.replace(/\r$/, ""));
  };
}

export function spawnGroup(opts: {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logPath: string;
  /** Append to the log instead of truncating it (a restarted process continues its predecessor's). */
  appendLog?: boolean;
}): ManagedChild {
  installExitHook();
  const log = createWriteStream(opts.logPath, { flags: opts.appendLog ? "a" : "w" });
  // detached: the child leads a new process group, so Ctrl-C in the terminal reaches only us and we
  // stop the children in order; killing -pid also reaches grandchildren (wrangler's workerd, esbuild).
  const child: ChildProcess = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${opts.name} (${opts.command})`);
  const pid = child.pid;
  let sink: ((line: string) => void) | null = null;
  let exitStatus: number | string | null = null;
  const onData = lineSplitter((line) => sink?.(line));
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", (chunk: Buffer) => {
      log.write(chunk);
      onData(chunk);
    });
  }
  // "close" fires once every holder of the pipes (grandchildren too) has gone: only then is the log whole.
  const closed = new Promise<void>((resolve) => child.once("close", () => log.end(resolve)));
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      exitStatus = code ?? signal ?? "unknown";
      resolve(exitStatus);
    });
    child.once("error", (error) => {
      exitStatus = error.message;
      resolve(exitStatus);
    });
  });
  const managed: ManagedChild = {
    name: opts.name,
    pid,
    logPath: opts.logPath,
    exited,
    exitedWith: () => exitStatus,
    tee(next) {
      sink = next;
    },
    async stop(graceMs = 5_000) {
      signalGroup(pid, "SIGTERM");
      const deadline = Date.now() + graceMs;
      while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
      if (groupAlive(pid)) signalGroup(pid, "SIGKILL");
      await Promise.race([closed, sleep(2_000)]);
      live.delete(managed);
    },
    killNow() {
      signalGroup(pid, "SIGKILL");
    },
    logTail(lines = 20) {
      try {
        const text = readFileSync(opts.logPath, "utf8").trimEnd().split("\n");
        return text.slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
  };
  live.add(managed);
  return managed;
}

export const runningChildren = () => live.size;

/** Stops every child still running (e.g. on Ctrl-C while the stack is still starting). */
export async function stopEveryChild(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

/** Runs a command to completion (e.g. migrations); throws with the log's tail when it fails. */
export async function runToCompletion(
  opts: Parameters<typeof spawnGroup>[0] & { timeoutMs: number; hint: string },
): Promise<void> {
  const child = spawnGroup(opts);
  const timedOut = Symbol("timeout");
  const status = await Promise.race([child.exited, sleep(opts.timeoutMs).then(() => timedOut)]);
  await child.stop(1_000);
  if (status === 0) return;
  const why =
    status === timedOut
      ? `did not finish in ${opts.timeoutMs / 1000} s`
      : `exited ${String(status)}`;
  throw new Error(
    `${opts.name} ${why}. ${opts.hint}\n--- last lines of ${opts.logPath} ---\n${child.logTail()}`,
  );
}
