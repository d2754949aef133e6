// Bundles the harness Worker with esbuild and runs it in Miniflare with a SQLite-backed TENANT_GATE.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const ENTRY = fileURLToPath(new URL("./harness-worker.ts", import.meta.url));

export async function bundleGateWorker(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:workers"],
    write: false,
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output");
  return file.text;
}

/** `persistDir` holds the Durable Objects' SQLite files, so a second instance sees the first's state. */
export function startGateWorker(script: string, persistDir: string): Miniflare {
  return new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2025-09-01",
    durableObjects: { TENANT_GATE: { className: "TenantGate", useSQLite: true } },
    durableObjectsPersist: persistDir,
  });
}

export async function call<T>(mf: Miniflare, body: unknown): Promise<T> {
  const response = await mf.dispatchFetch("http://gate.test/", {
    method: "POST",
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`harness ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}
