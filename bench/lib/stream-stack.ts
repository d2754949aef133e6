// The local stack bench:stream runs against: its own ports and scratch state, plus a tenant and key.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTenant, issueKey } from "../../scripts/local-stack/admin-client";
import { type LocalStack, startLocalStack } from "../../scripts/local-stack/stack";
import { configFromEnv } from "../../scripts/local-stack/stack-config";

/** bench:stream's ports (19900–19920), away from `npm start` (8787, 8801, 8802) and the tests. */
const EDGE_PORT = 19900;
const ORIGIN_PORTS = { us: 19901, eu: 19902 };
const ADMIN_TOKEN = "bench-stream-admin-token";

export interface StreamBench {
  stack: LocalStack;
  apiKey: string;
  stop(): Promise<void>;
}

export async function startStreamBench(
  progress: (line: string) => void,
  maxConcurrency: number,
): Promise<StreamBench> {
  const scratch = await mkdtemp(join(tmpdir(), "darkroom-bench-stream-"));
  let stack: LocalStack | undefined;
  try {
    stack = await startLocalStack(
      {
        ...configFromEnv({ DARKROOM_MODEL_DIR: process.env.DARKROOM_MODEL_DIR }),
        edgePort: EDGE_PORT,
        origins: [
          { region: "us", port: ORIGIN_PORTS.us, portVar: "ORIGIN_US_PORT" },
          { region: "eu", port: ORIGIN_PORTS.eu, portVar: "ORIGIN_EU_PORT" },
        ],
        adminToken: ADMIN_TOKEN,
        originSecret: randomBytes(24).toString("base64url"),
        persistDir: join(scratch, "state"),
        logDir: join(scratch, "logs"),
        originEnv: { DARKROOM_LOG_LEVEL: "warn" },
      },
      progress,
    );
    const tenant = await createTenant(stack.edgeUrl, ADMIN_TOKEN, {
      name: "bench-stream",
      rate_limit_per_minute: 100_000,
      max_concurrency: Math.max(4, maxConcurrency * 2),
      monthly_image_quota: 1_000_000,
      allowed_tiers: ["fast", "quality", "batch"],
    });
    const { key } = await issueKey(stack.edgeUrl, ADMIN_TOKEN, tenant.id, "bench-stream");
    const running = stack;
    return {
      stack: running,
      apiKey: key,
      async stop() {
        await running.stop();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stack?.stop();
    await rm(scratch, { recursive: true, force: true });
    throw error;
  }
}
