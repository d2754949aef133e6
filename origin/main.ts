// Entry point of an origin process: `npm run origin` (configuration from the environment).
import { loadOriginConfig, unknownSettings } from "./config";
import { tuneHeap } from "./heap-tuning";
import { startOrigin } from "./server/start-origin";

async function main() {
  const config = loadOriginConfig();
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
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`darkroom origin [${config.region}] ${signal}: draining…`);
    const timer = setTimeout(() => {
      console.error("drain timed out; exiting with work in flight");
      process.exit(1);
    }, config.drainTimeoutMs);
    timer.unref();
    origin.shutdown().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: Error) => {
  console.error(`darkroom origin: ${error.message}`);
  process.exit(1);
});
