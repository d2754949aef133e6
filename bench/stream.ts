// bench:stream — time to first preview and to the final image of async jobs, per tier, on the local stack.
// Both are measured from the client's submit (POST /v1/images/jobs) to the event arriving on
// GET /v1/images/jobs/{id}/events: what a user watching a progress bar waits for.
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import type { Tier } from "../protocol/tiers";
import { runBench, track } from "./lib/cleanup";
import { percentile, printTable, round2 } from "./lib/stats";
import { type StreamJobSample, timeStreamJob } from "./lib/stream-job";
import { startStreamBench } from "./lib/stream-stack";

const TIERS = ["fast", "quality"] as const satisfies readonly Tier[];
const SAMPLES: Record<(typeof TIERS)[number], number> = {
  fast: Number(process.env.BENCH_STREAM_SAMPLES_FAST ?? 30),
  quality: Number(process.env.BENCH_STREAM_SAMPLES_QUALITY ?? 15),
};
/** Jobs in flight together in the second pass; 0 skips it. */
const CONCURRENCY = Number(process.env.BENCH_STREAM_CONCURRENCY ?? 4);
const WARMUP = 2;
const SIZE = process.env.BENCH_STREAM_SIZE ?? "256x256";
const JOB_TIMEOUT_MS = 120_000;
const OUT = "bench/results/stream.json";

const log = (line: string) => process.stderr.write(`${line}\n`);

type Run = (tier: Tier, i: number) => Promise<StreamJobSample>;

async function sequential(run: Run, tier: Tier, count: number) {
  const samples: StreamJobSample[] = [];
  for (let i = 0; i < count; i++) samples.push(await run(tier, i));
  return samples;
}

async function concurrent(run: Run, tier: Tier, count: number, clients: number) {
  const samples: StreamJobSample[] = [];
  let next = 0;
  const client = async () => {
    while (next < count) samples.push(await run(tier, next++));
  };
  await Promise.all(Array.from({ length: clients }, client));
  return samples;
}

function summarize(samples: StreamJobSample[]) {
  const ok = samples.filter((s) => s.terminal === "completed");
  const ttfp = ok.flatMap((s) => (s.ttfpMs === null ? [] : [s.ttfpMs]));
  const final = ok.map((s) => s.finalMs!);
  const stat = (values: number[], p: number) =>
    values.length ? round2(percentile(values, p)) : null;
  return {
    ttfp_p50_ms: stat(ttfp, 50),
    ttfp_p99_ms: stat(ttfp, 99),
    final_p50_ms: stat(final, 50),
    final_p99_ms: stat(final, 99),
    accepted_p50_ms: stat(
      ok.map((s) => s.acceptedMs),
      50,
    ),
    samples: samples.length,
    completed: ok.length,
    with_preview: ttfp.length,
    previews_per_job_p50: stat(
      ok.map((s) => s.previews),
      50,
    ),
    errors: samples.length - ok.length,
    first_error: samples.find((s) => s.problem)?.problem ?? null,
  };
}

type Summary = ReturnType<typeof summarize>;

async function measureTier(run: Run, tier: (typeof TIERS)[number]) {
  log(`${tier}: ${WARMUP} warm-up jobs, then ${SAMPLES[tier]} one at a time…`);
  await sequential(run, tier, WARMUP);
  const one = summarize(await sequential(run, tier, SAMPLES[tier]));
  if (one.completed === 0) throw new Error(`${tier}: no job completed; first: ${one.first_error}`);
  if (CONCURRENCY <= 0) return { one, many: null };
  log(`${tier}: ${SAMPLES[tier]} jobs, ${CONCURRENCY} in flight…`);
  return { one, many: summarize(await concurrent(run, tier, SAMPLES[tier], CONCURRENCY)) };
}

const row = (tier: string, c: number, s: Summary) => ({
  tier,
  c,
  n: s.samples,
  ok: s.completed,
  "ttfp p50": s.ttfp_p50_ms ?? "-",
  "ttfp p99": s.ttfp_p99_ms ?? "-",
  "final p50": s.final_p50_ms ?? "-",
  "final p99": s.final_p99_ms ?? "-",
  "previews/job": s.previews_per_job_p50 ?? "-",
});

async function main() {
  log(
    `bench:stream on ${cpus().length} CPUs (load ${loadavg()[0]?.toFixed(1)}), Node ${process.version}`,
  );
  const bench = await startStreamBench((line) => log(`  ${line}`), CONCURRENCY);
  // Its processes lead their own process groups, which Ctrl-C does not reach: stopped on the
  // error and signal paths too (and SIGKILLed by the local stack's exit hook as a last resort).
  const stopBench = track("the local stack", () => bench.stop()).stop;
  const run: Run = (tier, i) =>
    timeStreamJob({
      edgeUrl: bench.stack.edgeUrl,
      apiKey: bench.apiKey,
      body: { prompt: `a lighthouse on a cliff at dusk, take ${i}`, tier, size: SIZE },
      timeoutMs: JOB_TIMEOUT_MS,
    });
  const tiers: Record<string, unknown> = {};
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const tier of TIERS) {
      const { one, many } = await measureTier(run, tier);
      tiers[tier] = { ...one, ...(many ? { [`concurrent_c${CONCURRENCY}`]: many } : {}) };
      rows.push(row(tier, 1, one));
      if (many) rows.push(row(tier, CONCURRENCY, many));
    }
  } finally {
    await stopBench();
  }
  const out = {
    ...tiers,
    config: {
      size: SIZE,
      samples: SAMPLES,
      warmup: WARMUP,
      concurrency: CONCURRENCY,
      steps: "tier defaults",
      stack: "local: wrangler dev edge + 2 origins (tiny model), loopback",
    },
    machine: {
      cpus: cpus().length,
      node: process.version,
      loadavg_1m_at_end: round2(loadavg()[0] ?? 0),
      at: new Date().toISOString(),
    },
  };
  printTable(rows);
  await mkdir("bench/results", { recursive: true });
  await writeFile(OUT, `${JSON.stringify(out, null, 2)}\n`);
  log(`wrote ${OUT}`);
  process.exit(0);
}

runBench("bench:stream", main);
