// Entry point of an origin process: `npm run origin` (configuration from the environment).
import { loadOriginConfig, unknownSettings } from "./config";
import { tuneHeap } from "./heap-tuning";
import { applyLogLevel } from "./log-level";
import { startOrigin } from "./server/start-origin";

/** After handing work back, how long the graph call in progress may take before a hard exit. */
const ABANDON_GRACE_MS = 10_000;

async function main() {
  const config = loadOriginConfig();
  applyLogLevel(config.logLevel);
  const unknown = unknownSettings();
  if (unknown.length > 0) {
    console.warn(
      `darkroom origin: ignoring ${unknown.join(", ")}: ${unknown.length === 1 ? "not an origin setting" : "not origin settings"} (a typo?); the README's configuration table lists them all`,
    );
  }
  tuneHeap(config.heapGrowingPercent);
  const origin = await startOrigin(config);
  const where = `http://${config.host}:${origin.port}`;
  console.log(
    `darkroom origin [${config.region}] listening on ${where}; loading ${config.modelDir}…`,
  );
  origin.ready.then(
    () => console.log(`darkroom origin [${config.region}] ready on ${where}`),
    (error: Error) => {
      console.error(`darkroom origin [${config.region}] failed to load: ${error.message}`);
      process.exitCode = 1;
      void origin.shutdown();
    },
  );
  let stopping = false;
  let abandoned = false;
  // Work still running when the drain runs out of time (or at a second signal) is handed back as
  // 503 not_ready rather than cut off; the graph call in progress finishes first, since exiting
  // under onnxruntime's threads aborts the process. A last timer exits regardless.
  const abandon = (why: string) => {
    if (abandoned) return;
    abandoned = true;
    console.error(`darkroom origin [${config.region}] ${why}: handing back the work in flight`);
    origin.abandon();
    setTimeout(() => process.exit(1), ABANDON_GRACE_MS).unref();
  };
  const stop = (signal: string) => {
    if (stopping) return abandon(`second ${signal}`);
    stopping = true;
    console.log(
      `darkroom origin [${config.region}] ${signal}: draining (send it again to stop now)…`,
    );
    setTimeout(() => abandon("drain timed out"), config.drainTimeoutMs).unref();
    origin.shutdown().then(() => process.exit(abandoned ? 1 : 0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: Error) => {
  console.error(`darkroom origin: ${error.message}`);
  process.exit(1);
});
