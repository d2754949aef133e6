// Bundles a Worker entry with esbuild the way wrangler does, and starts it under the Miniflare API.
import { existsSync, rmSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { track } from "./cleanup";

/** wrangler.toml's compatibility_date, so the bundle runs on the same runtime semantics. */
export async function compatibilityDate(wranglerToml = "wrangler.toml"): Promise<string> {
  const toml = await readFile(wranglerToml, "utf8");
  const match = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml);
  if (!match?.[1]) throw new Error(`no compatibility_date in ${wranglerToml}`);
  return match[1];
}

export async function bundleWorker(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    // wrangler's settings: workerd-first export conditions, browser fields, no Node built-ins.
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    target: "es2022",
    external: ["cloudflare:*"],
    minify: false,
    write: false,
    logLevel: "error",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}

/**
 * A Worker on an OS-chosen loopback port; `cf: false` keeps Miniflare from fetching Request.cf.
 * Stop it with `stop` (not `mf.dispose()`): it is tracked until then, so a bench that fails or is
 * interrupted disposes it too.
 */
export async function startWorker(
  options: Omit<MiniflareOptions, "modules" | "script"> & { script: string },
): Promise<{ mf: Miniflare; url: string; stop: () => Promise<void> }> {
  const mf = new Miniflare({ modules: true, cf: false, host: "127.0.0.1", port: 0, ...options });
  // Miniflare's own exit hook kills its workerd when this process exits; this one disposes it on
  // the bench's error and signal paths, before the exit.
  const { stop } = track("workerd", () => mf.dispose());
  try {
    const url = (await mf.ready).origin;
    return { mf, url, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}

/** Applies drizzle-kit's SQL files in order, one statement per `--> statement-breakpoint`. */
export async function applyMigrations(mf: Miniflare, binding: string, dir = "migrations") {
  const db = await mf.getD1Database(binding);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  for (const file of files) {
    const sql = await readFile(join(dir, file), "utf8");
    const statements = sql
      .split("--> statement-breakpoint")
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

export type BenchStorage = "tmpfs" | "disk";

/**
 * Where Miniflare keeps local D1/KV/DO/R2 state. Its default is a temp folder on disk, where every
 * SQLite commit pays the (shared, noisy) disk's fsync: measured here, 5–10 ms per D1 or DO write,
 * which is neither the edge's own cost nor production's. "tmpfs" puts the same SQLite files in
 * /dev/shm, so the run measures the code; "disk" keeps Miniflare's default for comparison.
 */
export async function benchStorage(mode: BenchStorage) {
  if (mode === "disk" || !existsSync("/dev/shm")) {
    return { mode: "disk" as const, options: {}, cleanup: async () => {} };
  }
  const root = await mkdtemp(join("/dev/shm", "darkroom-bench-"));
  // Removed on every way out too: a failed run must not leave its SQLite files in memory.
  const { stop: cleanup } = track(
    `storage ${root}`,
    () => rm(root, { recursive: true, force: true }),
    () => rmSync(root, { recursive: true, force: true }),
  );
  return {
    mode,
    options: {
      defaultPersistRoot: root,
      d1Persist: true,
      kvPersist: true,
      durableObjectsPersist: true,
      r2Persist: true,
    },
    cleanup,
  };
}
