// Runs TenantGate's tests in Node: pure logic directly, the Durable Object through the Miniflare API.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Keep vite's cache in the repository's node_modules, not a new one beside these sources.
  cacheDir: fileURLToPath(new URL("../../../../node_modules/.vite", import.meta.url)),
  test: {
    root: fileURLToPath(new URL("..", import.meta.url)),
    include: ["**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
