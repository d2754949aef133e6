// Starts a real origin process on loopback for benchmarks and multi-process tests, and signs calls to it.
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "undici";
import { signRequest } from "../../protocol/signing";
import { trackChild } from "./cleanup";

export interface OriginProcess {
  url: string;
  child: ChildProcess;
  /** ms from spawn to /readyz answering 200. */
  readyAfterMs: number;
  stop(): Promise<void>;
}

export async function startOriginProcess(opts: {
  port: number;
  region?: string;
  secret?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Run another checkout's origin (bench:ab's baseline); this one's by default. */
  cwd?: string;
}): Promise<OriginProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "origin/main.ts"], {
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    env: {
      ...process.env,
      DARKROOM_PORT: String(opts.port),
      DARKROOM_REGION: opts.region ?? "bench",
      ORIGIN_SHARED_SECRET: opts.secret ?? "bench-secret",
      ...opts.env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  // Tracked from its spawn: a bench that fails or is interrupted from here on still stops it.
  const tracked = trackChild(`origin :${opts.port}`, child);
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = started + (opts.timeoutMs ?? 120_000);
  let ready = false;
  while (!ready && performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `origin on port ${opts.port} exited with ${child.exitCode ?? child.signalCode}`,
      );
    }
    ready = await request(`${url}/readyz`).then(
      async (r) => {
        await r.body.dump();
        return r.statusCode === 200;
      },
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 20));
  }
  const readyAfterMs = performance.now() - started;
  if (!ready) {
    // Never ready: it may be stuck loading, and it must not outlive the error.
    child.kill("SIGKILL");
    tracked.untrack();
    throw new Error(`origin on port ${opts.port} did not become ready in time`);
  }
  const stop = () => tracked.stop();
  return { url, child, readyAfterMs, stop };
}

/** A signed request ready to send: signing happens before any timer starts. */
export async function presign(path: string, body: unknown, secret: string) {
  const text = JSON.stringify(body);
  const headers = await signRequest(secret, { method: "POST", path, body: text });
  return { path, text, headers: { ...headers, "content-type": "application/json" } };
}

export async function sendSigned(
  baseUrl: string,
  req: Awaited<ReturnType<typeof presign>>,
): Promise<{ status: number; json: unknown }> {
  const res = await request(`${baseUrl}${req.path}`, {
    method: "POST",
    body: req.text,
    headers: req.headers,
  });
  return { status: res.statusCode, json: await res.body.json() };
}

/** Like sendSigned, but stops at the response's last byte: the caller parses it after its timer. */
export async function sendSignedBytes(
  baseUrl: string,
  req: Awaited<ReturnType<typeof presign>>,
): Promise<{ status: number; bytes: Buffer }> {
  const res = await request(`${baseUrl}${req.path}`, {
    method: "POST",
    body: req.text,
    headers: req.headers,
  });
  return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) };
}

export async function signedPost(
  baseUrl: string,
  path: string,
  body: unknown,
  secret: string,
): Promise<{ status: number; json: unknown }> {
  const text = JSON.stringify(body);
  const headers = await signRequest(secret, { method: "POST", path, body: text });
  const res = await request(`${baseUrl}${path}`, {
    method: "POST",
    body: text,
    headers: { ...headers, "content-type": "application/json" },
  });
  return { status: res.statusCode, json: await res.body.json() };
}
