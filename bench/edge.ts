// bench:edge — the edge's added latency over a direct call to a null origin, with a pass-through control Worker.
// Added = edge − direct; control added = control − direct (workerd + one hop); own share = the difference.

import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { timeChecks } from "../edge/safety";
import { runBench } from "./lib/cleanup";
import { closedLoop, keepAlivePool, type LoopResult } from "./lib/closed-loop";
import {
  BENCH_PROMPT,
  startBenchTargets,
  type Target,
  type TargetName,
} from "./lib/edge-bench-targets";
import { percentile, printTable, round2 } from "./lib/stats";

const COUNTS: Record<number, number> = {
  1: Number(process.env.BENCH_C1_REQUESTS ?? 1500),
  8: Number(process.env.BENCH_C8_REQUESTS ?? 4000),
};
/** Targets take turns in rotating order, so drift on a shared machine hits all three alike. */
const ROUNDS = 5;
const WARMUP = 300;
const TOTAL_CAP_MS = Number(process.env.BENCH_TIME_CAP_S ?? 240) * 1000;
const ORIGIN_PORT = Number(process.env.BENCH_ORIGIN_PORT ?? 18899);
const STORAGE = process.env.BENCH_STORAGE === "disk" ? "disk" : "tmpfs";
const benchStarted = performance.now();
const timeLeft = () => Math.max(1_000, TOTAL_CAP_MS - (performance.now() - benchStarted));

type Merged = { samplesMs: number[]; wallMs: number };

/** A line per phase and round on stderr, between timed loops: the run takes minutes. */
const progress = (line: string) => console.error(`bench:edge ${line}`);
const thousands = (n: number) => n.toLocaleString("en-US");

async function measure(targets: Target[], concurrency: number, requests: number) {
  const pools = new Map(targets.map((t) => [t.name, keepAlivePool(t.url, concurrency)]));
  const merged = new Map<TargetName, Merged>(
    targets.map((t) => [t.name, { samplesMs: [], wallMs: 0 }]),
  );
  const run = async (t: Target, count: number): Promise<LoopResult> => {
    const result = await closedLoop({
      pool: pools.get(t.name)!,
      concurrency,
      requests: count,
      timeCapMs: Math.min(60_000, timeLeft()),
      prepare: t.prepare,
    });
    if (result.errors > 0) {
      throw new Error(
        `${t.name} at c=${concurrency}: ${result.errors} errors; first: ${result.firstError}`,
      );
    }
    return result;
  };
  const names = targets.map((t) => t.name).join(", ");
  progress(
    `c=${concurrency}: warm-up, ${thousands(Math.min(WARMUP, requests))} requests each to ${names}…`,
  );
  for (const t of targets) await run(t, Math.min(WARMUP, requests));
  const perRound = Math.ceil(requests / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
    for (const t of order) {
      const result = await run(t, perRound);
      const into = merged.get(t.name)!;
      into.samplesMs.push(...result.samplesMs);
      into.wallMs += result.wallMs;
    }
    const done = Math.min(...[...merged.values()].map((m) => m.samplesMs.length));
    progress(
      `c=${concurrency}: round ${round + 1}/${ROUNDS} done, ${thousands(done)}/${thousands(perRound * ROUNDS)} requests per target`,
    );
  }
  await Promise.all([...pools.values()].map((p) => p.close()));
  return merged;
}

function summarize(concurrency: number, merged: Map<TargetName, Merged>) {
  const stat = (name: TargetName) => {
    const m = merged.get(name)!;
    return {
      n: m.samplesMs.length,
      p50: percentile(m.samplesMs, 50),
      p90: percentile(m.samplesMs, 90),
      p99: percentile(m.samplesMs, 99),
      max: Math.max(...m.samplesMs),
      rps: (m.samplesMs.length * 1000) / m.wallMs,
    };
  };
  const direct = stat("direct");
  const control = stat("control");
  const edge = stat("edge");
  const rows = Object.entries({ direct, control, edge }).map(([target, s]) => ({
    c: concurrency,
    target,
    n: s.n,
    "p50 ms": s.p50,
    "p90 ms": s.p90,
    "p99 ms": s.p99,
    "max ms": s.max,
    rps: Math.round(s.rps),
  }));
  const result = {
    p50_added_ms: round2(edge.p50 - direct.p50),
    p99_added_ms: round2(edge.p99 - direct.p99),
    control_p50_added_ms: round2(control.p50 - direct.p50),
    control_p99_added_ms: round2(control.p99 - direct.p99),
    own_p50_ms: round2(edge.p50 - control.p50),
    own_p99_ms: round2(edge.p99 - control.p99),
    rps: Math.round(edge.rps),
    direct_rps: Math.round(direct.rps),
    control_rps: Math.round(control.rps),
    requests_per_target: edge.n,
  };
  return { rows, result };
}

async function main() {
  console.log(
    `bench:edge on ${cpus().length} CPUs (load ${loadavg()[0]?.toFixed(1)}), Node ${process.version}; starting…`,
  );
  const bench = await startBenchTargets(ORIGIN_PORT, STORAGE, progress);
  console.log(`edge storage (D1/KV/DO/R2 SQLite): ${bench.storage} (BENCH_STORAGE=disk|tmpfs)`);
  const rows = [];
  const out: Record<string, unknown> = {};
  try {
    for (const concurrency of [1, 8]) {
      const merged = await measure(bench.targets, concurrency, COUNTS[concurrency]!);
      const summary = summarize(concurrency, merged);
      rows.push(...summary.rows);
      out[`c${concurrency}`] = summary.result;
    }
  } finally {
    await bench.stop();
  }
  progress("timing the safety prefilter (5,000 checks)…");
  const safety = timeChecks(BENCH_PROMPT, { iterations: 5_000 });
  out.safety_us_per_check = Object.fromEntries(
    safety.stages.map((s) => [s.name, round2(s.micros)]),
  );
  const c1 = out.c1 as ReturnType<typeof summarize>["result"];
  const c8 = out.c8 as ReturnType<typeof summarize>["result"];
  out.goals = {
    c1_own_p50_le_0_5_ms: c1.own_p50_ms <= 0.5,
    c1_own_p99_le_3_ms: c1.own_p99_ms <= 3,
    c8_added_p50_lt_3_5_ms: c8.p50_added_ms < 3.5,
  };
  // A shared 2-core machine: the load during the run says how much to trust the tails.
  out.storage = bench.storage;
  out.machine = {
    cpus: cpus().length,
    node: process.version,
    loadavg_1m_at_end: round2(loadavg()[0] ?? 0),
    at: new Date().toISOString(),
  };

  printTable(rows);
  console.log("");
  printTable(
    (["c1", "c8"] as const).map((k) => {
      const r = out[k] as typeof c1;
      return {
        c: k,
        "added p50": r.p50_added_ms,
        "added p99": r.p99_added_ms,
        "control p50": r.control_p50_added_ms,
        "control p99": r.control_p99_added_ms,
        "own p50": r.own_p50_ms,
        "own p99": r.own_p99_ms,
        "edge rps": r.rps,
      };
    }),
  );
  console.log("\nsafety prefilter, µs per prompt (Node clock):");
  printTable(safety.stages.map((s) => ({ stage: s.name, µs: s.micros })));
  console.log("\ngoals:", JSON.stringify(out.goals));
  await mkdir("bench/results", { recursive: true });
  await writeFile("bench/results/edge.json", `${JSON.stringify(out, null, 2)}\n`);
  console.log("wrote bench/results/edge.json");
  process.exit(0);
}

runBench("bench:edge", main);
