// Model cold start with and without the optimized-graph cache: each sample is a fresh Node process.
// Usage: npx tsx bench/model-cold-start.ts [runs]   (DARKROOM_MODEL_DIR picks a model; default: a
// private copy of the tiny model, so a concurrent rewrite of models/tiny-sd cannot skew a run)
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { writeTinyModel } from "../origin/model/tiny";
import { loadOnnxRuntime } from "../origin/runtime/onnx-diffusion-runtime";

const settings = {
  providers: ["cpu" as const],
  intraOpThreads: 0,
  interOpThreads: 1,
  cudaDevice: 0,
};

/** Child: load once, print the milliseconds loadOnnxRuntime took (sessions, contract checks, hash). */
async function child(modelDir: string, cacheDir: string) {
  const started = performance.now();
  const runtime = await loadOnnxRuntime(modelDir, {
    ...settings,
    modelCacheDir: cacheDir === "-" ? undefined : cacheDir,
  });
  process.stdout.write(String(performance.now() - started));
  await runtime.dispose();
}

function sample(modelDir: string, cacheDir: string): number {
  const args = [...process.execArgv, process.argv[1]!, "--child", modelDir, cacheDir];
  return Number(execFileSync(process.execPath, args, { encoding: "utf8", stdio: "pipe" }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const runs = Number(process.argv[2] ?? 15);
  const work = await mkdtemp(join(tmpdir(), "darkroom-cold-start-"));
  const cache = join(work, "cache");
  const given = process.env.DARKROOM_MODEL_DIR;
  const model = given ? resolve(given) : join(work, "tiny-sd");
  try {
    if (!given) await writeTinyModel(model);
    sample(model, "-"); // warm the OS page cache so both modes read the model from memory
    const firstWithCache = sample(model, cache);
    const plain: number[] = [];
    const cached: number[] = [];
    // Interleaved, so load from other processes on the machine skews both modes alike.
    for (let i = 0; i < runs; i++) {
      plain.push(sample(model, "-"));
      cached.push(sample(model, cache));
    }
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    console.log(`model ${model}, ${runs} fresh processes per mode, median loadOnnxRuntime time:`);
    console.log(`  no optimized-graph cache:        ${ms(median(plain))}`);
    console.log(`  first load (optimize + save):    ${ms(firstWithCache)}`);
    console.log(`  later loads (cached, opt off):   ${ms(median(cached))}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") await child(process.argv[3]!, process.argv[4]!);
else await main();
