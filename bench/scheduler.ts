// bench:scheduler — open-loop Poisson load (80 % fast / 20 % quality) at 50/70/90 % of measured
// capacity against the darkroom scheduler and FIFO mode of the same origin, in one run.
// Saturation ratio = Σ pure onnxruntime compute of the images served ÷ wall time of a saturated run,
// the pure compute measured right before and after it (the machine drifts over minutes); the
// median of BENCH_SATURATION_ROUNDS (5) such runs. The pure loop runs one session; the same ratio
// against a pure loop that splits UNet calls as the origin does is printed beside it.

import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { loadOriginConfig } from "../origin/config";
import type { DiffusionRuntime } from "../origin/engine/diffusion-runtime";
import { loadPipeline, sessionSettingsFrom } from "../origin/load-pipeline";
import { ensureTinyModel } from "../origin/model/tiny";
import { SplitUnetRuntime } from "../origin/runtime/split-runtime";
import { TIER_SPECS, TIERS, type Tier } from "../protocol/tiers";
import { runBench } from "./lib/cleanup";
import {
  FAST_SHARE,
  requestBody,
  SATURATED_BURST,
  saturatedBurst,
  tierSequence,
} from "./lib/mixed-traffic";
import { type OpenLoopSample, openLoop } from "./lib/open-loop";
import { startOriginProcess } from "./lib/origin-process";
import { openSessions, pureRequest, pureRuntimeRequest } from "./lib/pure-onnx";
import { percentile, printTable, round2 } from "./lib/stats";

const MODEL_DIR = resolve(process.env.DARKROOM_MODEL_DIR ?? "models/tiny-sd");
const SECRET = "bench-secret";
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200);
const ORIGIN_CONFIG = loadOriginConfig(process.env);
/** The origin's session settings from this environment: its child and the pure runs share them. */
const SESSION = sessionSettingsFrom(ORIGIN_CONFIG);
const THREADS_LABEL = `${SESSION.intraOpThreads || availableParallelism()} intra-op, spinning ${SESSION.intraOpSpinning ?? "run"}`;
const SATURATION_ROUNDS = Number(process.env.BENCH_SATURATION_ROUNDS ?? 5);

/** The same tier sequence for every mode and load, so the modes see identical traffic. */
function loadBody(label: string) {
  const tiers = tierSequence(REQUESTS, 11);
  return (i: number) => requestBody(i, label, tiers[i]!);
}

/** Median ms of `run` over `iterations` after 3 warm-up calls. */
async function medianMs(run: () => Promise<unknown>, iterations: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < iterations + 3; i++) {
    const t = performance.now();
    await run();
    if (i >= 3) samples.push(performance.now() - t);
  }
  return percentile(samples, 50);
}

const PURE_CASES = (["fast", "quality"] as const).map((tier) => {
  const spec = TIER_SPECS[tier];
  const c = {
    width: 256,
    height: 256,
    steps: spec.defaultSteps,
    rows: spec.defaultGuidance > 1 ? 2 : 1,
  };
  // Enough samples that one stall on a shared machine cannot move the median.
  return { tier, c, iterations: tier === "fast" ? 40 : 12 };
});

/** Pure per-image compute on one session with the origin's options: the compute bound. */
async function pureComputeMs(): Promise<Record<Tier, number>> {
  const sessions = await openSessions(MODEL_DIR, SESSION);
  const out = {} as Record<Tier, number>;
  for (const { tier, c, iterations } of PURE_CASES) {
    out[tier] = await medianMs(await pureRequest(sessions, c), iterations);
  }
  out.batch = out.quality;
  await Promise.all(Object.values(sessions).map((session) => session.release()));
  return out;
}

/**
 * The same, with UNet calls split across instances as the origin splits them (DARKROOM_UNET_INSTANCES);
 * null when the origin does not split here. The origin beats the one-session loop by splitting;
 * this bound says how much of its saturation that is.
 */
let splitRuntime: Promise<DiffusionRuntime | null> | null = null;
async function pureSplitComputeMs(): Promise<Record<Tier, number> | null> {
  splitRuntime ??= loadPipeline({
    ...SESSION,
    modelDir: MODEL_DIR,
    unetInstances: ORIGIN_CONFIG.unetInstances,
    memoryBudgetBytes: ORIGIN_CONFIG.modelMemoryBytes,
  }).then(({ runtime }) => (runtime instanceof SplitUnetRuntime ? runtime : null));
  const runtime = await splitRuntime;
  if (!runtime) return null;
  const out = {} as Record<Tier, number>;
  for (const { tier, c, iterations } of PURE_CASES) {
    out[tier] = await medianMs(await pureRuntimeRequest(runtime, c), iterations);
  }
  out.batch = out.quality;
  return out;
}

function meanOf(a: Record<Tier, number>, b: Record<Tier, number>): Record<Tier, number> {
  const out = {} as Record<Tier, number>;
  for (const tier of TIERS) out[tier] = (a[tier] + b[tier]) / 2;
  return out;
}

function sumOver(samples: readonly OpenLoopSample[], perImage: Record<Tier, number>): number {
  return samples.reduce((sum, s) => sum + perImage[s.tier as Tier], 0);
}

function summarise(samples: OpenLoopSample[], wallMs: number) {
  const byTier: Record<string, unknown> = {};
  for (const tier of ["fast", "quality"]) {
    const ok = samples.filter((s) => s.tier === tier && s.status === 200).map((s) => s.ms);
    byTier[tier] = {
      p50_ms: round2(percentile(ok, 50)),
      p95_ms: round2(percentile(ok, 95)),
      p99_ms: round2(percentile(ok, 99)),
      throughput: round2(ok.length / (wallMs / 1000)),
      errors: samples.filter((s) => s.tier === tier && s.status !== 200).length,
    };
  }
  return byTier;
}

/** The batch limits the origin's start-up calibration chose (they differ between starts here). */
async function batchLimits(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const limits: Record<string, number> = {};
  for (const m of text.matchAll(/^darkroom_origin_batch_limit\{limit="(\w+)"\} (\d+)/gm)) {
    limits[m[1]!] = Number(m[2]);
  }
  return limits;
}

/** Seconds the origin's batcher has spent computing since start, all stages together. */
async function computeSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^darkroom_origin_compute_seconds_total\{[^}]*\} (\S+)/gm)) {
    total += Number(m[1]);
  }
  return total;
}

/**
 * One saturated burst: images/s served, and Σ pure compute of them over its wall time. That ratio
 * is the product of two the origin reports: how busy its batcher kept the device (compute time ÷
 * wall) and how the pure runs compare with that compute time (Σ pure ÷ compute; above 1 when
 * batching beats one-at-a-time).
 */
interface SaturatedRound {
  imagesPerSecond: number;
  overBound: number;
  /** Against the bound of a pure loop that splits UNet calls as the origin does; null: no split. */
  overSplitBound: number | null;
  busyFraction: number;
  pureOverCompute: number;
  pure: Record<Tier, number>;
}

/** A line per finished stage on stderr: the whole run takes minutes, and its table comes last. */
const progress = (line: string) => console.error(`bench:scheduler ${line}`);

async function runMode(
  mode: "darkroom" | "fifo",
  rates: (capacity: number) => number[],
  port: number,
) {
  progress(`${mode}: starting an origin on port ${port}…`);
  const origin = await startOriginProcess({
    port,
    secret: SECRET,
    env: {
      DARKROOM_MODEL_DIR: MODEL_DIR,
      DARKROOM_SCHEDULER: mode === "fifo" ? "fifo" : "continuous",
    },
  });
  try {
    const limits = await batchLimits(origin.url);
    // Each saturated round is bracketed by pure measurements (the origin idle both times), and a
    // round's bound is the average of the two: the machine's speed drifts over minutes, and the
    // ratio must compare a run with the compute of the same moments. One round on this shared VM
    // gave anything from 0.80 to 0.97, so the headline is the median of SATURATION_ROUNDS.
    const rounds: SaturatedRound[] = [];
    let before = await pureComputeMs();
    let splitBefore = await pureSplitComputeMs();
    for (let round = 0; round < SATURATION_ROUNDS; round++) {
      const computeBefore = await computeSeconds(origin.url);
      // Saturation: arrivals far faster than service, so the origin is never idle; the same
      // traffic every round.
      const sat = await saturatedBurst(
        origin.url,
        SECRET,
        `${mode}-sat${round}`,
        Math.min(REQUESTS, SATURATED_BURST.requests),
      );
      const computeMs = ((await computeSeconds(origin.url)) - computeBefore) * 1000;
      const after = await pureComputeMs();
      const splitAfter = await pureSplitComputeMs();
      const okSat = sat.samples.filter((s) => s.status === 200);
      const pure = meanOf(before, after);
      // The compute bound of exactly the images served: Σ pure per-image time over the wall time.
      const pureSum = sumOver(okSat, pure);
      const splitPure = splitBefore && splitAfter ? meanOf(splitBefore, splitAfter) : null;
      rounds.push({
        imagesPerSecond: okSat.length / (sat.wallMs / 1000),
        overBound: pureSum / sat.wallMs,
        overSplitBound: splitPure ? sumOver(okSat, splitPure) / sat.wallMs : null,
        busyFraction: computeMs / sat.wallMs,
        pureOverCompute: pureSum / computeMs,
        pure,
      });
      before = after;
      splitBefore = splitAfter;
      const last = rounds.at(-1)!;
      progress(
        `${mode}: saturated round ${round + 1}/${SATURATION_ROUNDS}: ${last.imagesPerSecond.toFixed(2)} img/s, ${last.overBound.toFixed(2)} of the compute bound`,
      );
    }
    const byRatio = [...rounds].sort((a, b) => a.overBound - b.overBound);
    const median = byRatio[Math.floor(byRatio.length / 2)]!;
    const lastDone = median.imagesPerSecond;
    const { overBound, pure } = median;
    const split = rounds.flatMap((r) => (r.overSplitBound === null ? [] : [r.overSplitBound]));
    const overSplitBound = split.length > 0 ? percentile(split, 50) : null;
    const results: Record<string, unknown> = {};
    for (const rate of rates(lastDone)) {
      const run = await openLoop({
        url: origin.url,
        secret: SECRET,
        ratePerSecond: rate,
        requests: REQUESTS,
        body: loadBody(`${mode}-${rate}`),
      });
      results[String(rate)] = summarise(run.samples, run.wallMs);
      progress(
        `${mode}: open loop at ${rate.toFixed(2)} req/s done (${run.samples.length} requests)`,
      );
    }
    return {
      saturatedImagesPerSecond: lastDone,
      overBound,
      overSplitBound,
      pure,
      limits,
      rounds,
      results,
    };
  } finally {
    await origin.stop();
  }
}

async function main() {
  await ensureTinyModel(MODEL_DIR);
  let capacity = 0;
  const loads = [0.5, 0.7, 0.9];
  const darkroom = await runMode(
    "darkroom",
    (sat) => {
      capacity = sat;
      return loads.map((l) => round2(l * sat));
    },
    8898,
  );
  const fifo = await runMode("fifo", () => loads.map((l) => round2(l * capacity)), 8897);
  const pure = darkroom.pure;
  const computeBound = 1000 / (FAST_SHARE * pure.fast + (1 - FAST_SHARE) * pure.quality);
  console.log(
    `pure compute per image around darkroom's saturated run: fast ${pure.fast.toFixed(1)} ms, quality ${pure.quality.toFixed(1)} ms; bound ${computeBound.toFixed(2)} img/s (threads: ${THREADS_LABEL})`,
  );
  const out: Record<string, unknown> = {
    capacity_images_per_s: round2(capacity),
    compute_bound_images_per_s: round2(computeBound),
    pure_ms: pure,
    threads: THREADS_LABEL,
    modes: {},
  };
  const rows: Array<Record<string, string | number>> = [];
  for (const [mode, r] of [
    ["darkroom", darkroom],
    ["fifo", fifo],
  ] as const) {
    const perLoad: Record<string, unknown> = {};
    loads.forEach((l, i) => {
      const rate = Object.keys(r.results)[i]!;
      perLoad[`${l * 100}%`] = r.results[rate];
      for (const tier of ["fast", "quality"]) {
        const t = (r.results[rate] as Record<string, Record<string, number>>)[tier]!;
        rows.push({
          mode,
          load: `${l * 100}%`,
          tier,
          p50_ms: t.p50_ms!,
          p95_ms: t.p95_ms!,
          p99_ms: t.p99_ms!,
          "img/s": t.throughput!,
          errors: t.errors!,
        });
      }
    });
    (out.modes as Record<string, unknown>)[mode] = {
      ...perLoad,
      saturated_images_per_s: round2(r.saturatedImagesPerSecond),
      pure_ms_around_saturation: r.pure,
      saturation_over_compute_bound: round2(r.overBound),
      batch_limits: r.limits,
      saturation_rounds: r.rounds.map((x) => round2(x.overBound)),
      // Against a pure loop that splits UNet calls as the origin does (null: the origin does not).
      saturation_over_split_compute_bound:
        r.overSplitBound === null ? null : round2(r.overSplitBound),
      // saturation = device busy fraction × (Σ pure ÷ the batcher's compute time), per round.
      saturation_factors: r.rounds.map((x) => ({
        busy_fraction: round2(x.busyFraction),
        pure_over_compute: round2(x.pureOverCompute),
      })),
    };
  }
  printTable(rows);
  const d = out.modes as Record<string, Record<string, Record<string, Record<string, number>>>>;
  const ratio = d.darkroom!["70%"]!.fast!.p99_ms! / d.fifo!["70%"]!.fast!.p99_ms!;
  console.log(`fast p99 at 70 %: darkroom / FIFO = ${ratio.toFixed(2)} (goal ≤ 0.5)`);
  const each = (r: typeof darkroom) => r.rounds.map((x) => x.overBound.toFixed(2)).join(", ");
  console.log(
    `saturation / compute bound, median of ${SATURATION_ROUNDS} rounds: darkroom ${darkroom.overBound.toFixed(2)} (${each(darkroom)}), fifo ${fifo.overBound.toFixed(2)} (${each(fifo)}) (goal ≥ 0.95; Σ pure compute of the served images ÷ wall time at saturation)`,
  );
  if (darkroom.overSplitBound !== null && fifo.overSplitBound !== null) {
    console.log(
      `against a pure loop that splits UNet calls as the origin does (median of rounds): darkroom ${darkroom.overSplitBound.toFixed(2)}, fifo ${fifo.overSplitBound.toFixed(2)}`,
    );
  }
  const factors = (r: typeof darkroom) =>
    r.rounds
      .map((x) => `${x.busyFraction.toFixed(2)} × ${x.pureOverCompute.toFixed(2)}`)
      .join(", ");
  console.log(
    `each round = device busy fraction × (Σ pure ÷ batcher compute time): darkroom ${factors(darkroom)}; fifo ${factors(fifo)}`,
  );
  console.log(
    `darkroom's calibrated batch limits: ${darkroom.limits.unet_rows} UNet rows, ${darkroom.limits.decode_images} images per VAE call`,
  );
  out.fast_p99_ratio_at_70 = round2(ratio);
  const runtime = await splitRuntime;
  await runtime?.dispose();
  await mkdir("bench/results", { recursive: true });
  await writeFile("bench/results/scheduler.json", `${JSON.stringify(out, null, 2)}\n`);
  console.log("wrote bench/results/scheduler.json");
  process.exit(0);
}

runBench("bench:scheduler", main);
