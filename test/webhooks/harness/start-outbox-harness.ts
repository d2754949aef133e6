// Bundles the outbox harness Worker with esbuild and runs it in Miniflare (workerd) with a SQLite-backed DO.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import type { RetryPolicy } from "../../../edge/services/webhooks/webhook-retry-policy";

const ENTRY = fileURLToPath(new URL("./outbox-harness-worker.ts", import.meta.url));

export async function startOutboxHarness(options: {
  masterSecret: string;
  policy: Partial<RetryPolicy>;
}): Promise<Miniflare> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
  });
  const script = result.outputFiles[0]?.text;
  if (!script) throw new Error("esbuild produced no output");
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: "2025-09-01",
    bindings: {
      WEBHOOK_SIGNING_SECRET: options.masterSecret,
      OUTBOX_POLICY: JSON.stringify(options.policy),
    },
    durableObjects: { OUTBOX: { className: "WebhookOutboxHarness", useSQLite: true } },
  });
  await mf.ready;
  return mf;
}
