// `npm start`: the local stack — origins us + eu, the edge under wrangler dev, a demo tenant and a curl to try.
import { relative } from "node:path";
import { runningChildren, stopEveryChild } from "./local-stack/child-group";
import { curlCommands, ensureDemoTenant, writeStackFile } from "./local-stack/demo-tenant";
import { type LocalStack, startLocalStack } from "./local-stack/stack";
import { configFromEnv, REPO_ROOT } from "./local-stack/stack-config";

const STATE_FILE = `${REPO_ROOT}/.local-stack.json`;
const started = performance.now();
const progress = (line: string) => console.log(`▸ ${line}`);
const rel = (path: string) => {
  const short = relative(process.cwd(), path);
  return short.startsWith("..") ? path : short || ".";
};

let shuttingDown = false;
let firstSignalAt = 0;
async function shutDown(reason: string, code: number): Promise<void> {
  if (shuttingDown) {
    // Ctrl-C reaches us twice at once under npm (the terminal's signal, then npm forwarding it):
    // only a later, deliberate second Ctrl-C skips the graceful stop (the exit hook SIGKILLs).
    if (performance.now() - firstSignalAt < 1_500) return;
    console.error("second signal: killing every child now");
    process.exit(code);
  }
  shuttingDown = true;
  firstSignalAt = performance.now();
  if (runningChildren() > 0) {
    console.log(`\n▸ ${reason}: stopping the edge and the origins…`);
    await stopEveryChild();
    console.log("▸ stopped");
  }
  process.exit(code);
}

process.on("SIGINT", () => void shutDown("Ctrl-C", 130));
process.on("SIGTERM", () => void shutDown("SIGTERM", 143));
process.on("SIGHUP", () => void shutDown("SIGHUP", 129));

function printBanner(stack: LocalStack, lines: Record<string, string>) {
  const width = Math.max(...Object.keys(lines).map((k) => k.length));
  console.log(
    `\ndarkroom local stack is up in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const [label, value] of Object.entries(lines))
    console.log(`  ${label.padEnd(width)}  ${value}`);
  console.log(`  ${"logs".padEnd(width)}  ${rel(stack.config.logDir)}/*.log (streamed below)`);
}

/** A child that dies on its own takes the stack down: half a stack only confuses. */
function watchChildren(stack: LocalStack) {
  for (const child of stack.children) {
    void child.exited.then((status) => {
      if (shuttingDown) return;
      console.error(
        `\n✗ ${child.name} exited unexpectedly (${String(status)}); see ${rel(child.logPath)}`,
      );
      console.error(child.logTail(15));
      void shutDown("a child exited", 1);
    });
  }
}

async function main() {
  const config = configFromEnv();
  const stack = await startLocalStack(config, progress);
  const { demo, models } = await ensureDemoTenant(
    stack.edgeUrl,
    config.adminToken,
    STATE_FILE,
    progress,
  );
  const model = models[0] ?? null;
  const { curl, curl_save_png } = curlCommands(stack.edgeUrl, demo.api_key, model);
  await writeStackFile(STATE_FILE, {
    edge_url: stack.edgeUrl,
    origins: stack.origins,
    demo,
    model,
    curl,
    curl_save_png,
    written_at: new Date().toISOString(),
  });
  const customToken = Boolean(process.env.ADMIN_TOKEN);
  printBanner(stack, {
    edge: `${stack.edgeUrl}  (docs: ${stack.edgeUrl}/docs)`,
    ...Object.fromEntries(stack.origins.map((o) => [`origin ${o.region}`, o.url])),
    "admin token": customToken ? "(from ADMIN_TOKEN)" : config.adminToken,
    tenant: `${demo.tenant_id} (${demo.tenant_name})`,
    "API key": demo.api_key,
    state: `${rel(config.persistDir)} (D1, KV, Durable Objects, R2); demo saved to ${rel(STATE_FILE)}`,
  });
  console.log(`\nGenerate an image (b64_json):\n\n${curl}\n`);
  console.log(`…or save it as a PNG:\n\n${curl_save_png}\n`);
  console.log("Ctrl-C stops everything.\n");
  stack.tee((name, line) => {
    if (line.trim() !== "") console.log(`[${name}] ${line}`);
  });
  watchChildren(stack);
}

main().catch(async (error: Error) => {
  if (shuttingDown) return;
  console.error(`\n✗ npm start failed: ${error.message}`);
  await shutDown("start-up failed", 1);
});
