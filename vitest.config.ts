// Two test projects: "node" (origin, protocol, cross-process tests, TenantGate via Miniflare) and "edge" (workerd).
import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: [
            "origin/**/*.test.ts",
            "protocol/**/*.test.ts",
            "test/**/*.test.ts",
            // TenantGate's tests drive its Durable Object through the Miniflare API from Node.
            "edge/services/tenant-gate/**/*.test.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: "forks",
          // Tests that open sessions straight from onnxruntime-node skip the origin's runtime, which
          // turns its telemetry off (origin/runtime/ort-telemetry.ts); the test processes do the same.
          env: { ORT_DISABLE_TELEMETRY: "1" },
        },
      },
      {
        // The edge runs in the real Workers runtime (workerd) with the bindings of wrangler.toml.
        plugins: [
          cloudflareTest(async () => ({
            main: here("./edge/index.ts"),
            wrangler: { configPath: here("./wrangler.toml") },
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "dev-admin-token",
                ORIGIN_SHARED_SECRET: "test-origin-secret",
                WEBHOOK_SIGNING_SECRET: "test-webhook-signing-secret",
                TEST_MIGRATIONS: await readD1Migrations(here("./migrations")),
              },
            },
          })),
        ],
        test: {
          name: "edge",
          include: ["edge/**/*.test.ts"],
          exclude: ["edge/services/tenant-gate/**"],
          setupFiles: ["edge/test/apply-migrations.ts"],
          // obscenity's ESM entry re-exports a CommonJS build whose default the Workers module
          // loader leaves undefined; pre-bundling it with esbuild (as wrangler does) fixes interop.
          deps: { optimizer: { ssr: { enabled: true, include: ["obscenity"] } } },
        },
      },
    ],
  },
});
