// bench:overlap — does running the graphs on a worker thread, so that the main thread's
// post-processing (PNG, SHA-256, base64, JSON) overlaps them, serve more images per second than
// the origin's way on CPU: graphs on the main thread, post-processing between calls?
// The fast tier's steady state at 256² (bench/lib/overlap-graphs.ts), synthetic inputs.
// Ratio = images/s of each way ÷ images/s of the graph calls alone, same run, alternating rounds.

import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { loadOriginConfig } from "../origin/config";
import { encodePng, PNG_FAST } from "../origin/imaging/png-encode";
import { sessionSettingsFrom } from "../origin/load-pipeline";
import { ensureTinyModel } from "../origin/model/tiny";
import { sessionOptions } from "../origin/runtime/ort-session";
import { openFastTierGraphs, PIXELS_PER_IMAGE } from "./lib/overlap-graphs";
import { percentile, printTable, round2 } from "./lib/stats";

const MODEL_DIR = resolve(process.env.DARKROOM_MODEL_DIR ?? "models/tiny-sd");
const IMAGES = Number(process.env.BENCH_IMAGES ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** The origin's session options from this environment (DARKROOM_INTRA_OP_* apply). */
const SETTINGS = sessionSettingsFrom(loadOriginConfig(process.env));
const OPTIONS = sessionOptions(SETTINGS, ["cpu"]);

/** What the origin does to each decoded image before answering. */
async function postProcess(pixels: Float32Array): Promise<number> {
  const png = await encodePng(pixels, 256, 256, "<x:xmpmeta/>", PNG_FAST);
  const sha256 = createHash("sha256").update(png).digest("hex");
  return Buffer.from(JSON.stringify({ images: [{ b64: png.toString("base64"), sha256 }] })).length;
}

async function main() {
  await ensureTinyModel(MODEL_DIR);
  const graphs = await openFastTierGraphs(MODEL_DIR, OPTIONS);

  /** Graphs on this thread; post-processing (if any) between calls, as the origin does on CPU. */
  async function mainThread(post: boolean): Promise<number> {
    const t = performance.now();
    for (let done = 0; done < IMAGES; done += 2) {
      const pixels = await graphs.step();
      if (post) {
        await postProcess(pixels.subarray(0, PIXELS_PER_IMAGE));
        await postProcess(pixels.subarray(PIXELS_PER_IMAGE, 2 * PIXELS_PER_IMAGE));
      }
    }
    return IMAGES / ((performance.now() - t) / 1000);
  }

  /** Graphs on a worker thread, back to back; this thread post-processes what it posts. */
  async function workerThread(): Promise<number> {
    const worker = new Worker(new URL("./lib/overlap-device.mjs", import.meta.url), {
      workerData: { modelDir: MODEL_DIR, images: IMAGES, options: OPTIONS },
    });
    await new Promise((r) => worker.once("message", r));
    const t = performance.now();
    let done = 0;
    await new Promise<void>((resolveAll, reject) => {
      worker.on("error", reject);
      worker.on("message", (pixels: Float32Array) => {
        postProcess(pixels).then(() => {
          if (++done === IMAGES) resolveAll();
        }, reject);
      });
      worker.postMessage("go");
    });
    const rate = IMAGES / ((performance.now() - t) / 1000);
    await worker.terminate();
    return rate;
  }

  const ways = {
    "graphs only": () => mainThread(false),
    "main thread (the origin on CPU)": () => mainThread(true),
    "worker thread, overlapped": workerThread,
  };
  await mainThread(true); // warm both sessions and the encoder
  const rates: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(ways)) rates[name]!.push(await run());
    console.log(`round ${round + 1}/${ROUNDS} done`);
  }
  const bound = percentile(rates["graphs only"]!, 50);
  const rows_ = Object.entries(rates).map(([way, r]) => ({
    way,
    "img/s p50": round2(percentile(r, 50)),
    "÷ graphs only": round2(percentile(r, 50) / bound),
  }));
  printTable(rows_);
  console.log(
    `ratio = images/s ÷ images/s of the graph calls alone (p50 of ${ROUNDS} alternating rounds of ${IMAGES} images; ${SETTINGS.intraOpThreads || "all"} intra-op threads, spinning ${SETTINGS.intraOpSpinning ?? "run"})`,
  );
  await mkdir("bench/results", { recursive: true });
  await writeFile(
    "bench/results/overlap.json",
    `${JSON.stringify({ images: IMAGES, rounds: ROUNDS, rates, results: rows_ }, null, 2)}\n`,
  );
  console.log("wrote bench/results/overlap.json");
  process.exit(0);
}

main().catch((error: Error) => {
  console.error(`bench:overlap failed: ${error.message}`);
  process.exit(1);
});
