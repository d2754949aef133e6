// bench:ab — this checkout against a git ref, in alternating rounds of one run: the only comparison
// this shared 2-core VM allows, since its speed drifts by ±15 % (and at times by 40 %) over minutes.
//
//   npm run bench:ab -- <ref> scheduler   saturated bursts of bench:scheduler's traffic (images/s)
//   npm run bench:ab -- <ref> edge        closed-loop rounds through two edges on one null origin
//
// The ref is checked out into a temporary git worktree (sharing this node_modules) and removed at
// the end. Each round runs both sides back to back, in alternating order; the ratio of a round
// compares moments seconds apart, and the summary is the median over rounds.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, symlinkSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureTinyModel } from "../origin/model/tiny";
import { runBench, track } from "./lib/cleanup";
import { closedLoop, keepAlivePool, type LoopRequest } from "./lib/closed-loop";
import { benchTenantRequest, startEdge } from "./lib/edge-bench-targets";
import { saturatedBurst } from "./lib/mixed-traffic";
import { type OriginProcess, startOriginProcess } from "./lib/origin-process";
import { percentile, printTable, round2 } from "./lib/stats";
import { benchStorage, compatibilityDate } from "./lib/worker-bundle";

const MODEL_DIR = resolve(process.env.DARKROOM_MODEL_DIR ?? "models/tiny-sd");
const SECRET = randomBytes(24).toString("base64url");

type Side = "base" | "work";

interface Checkout {
  dir: string;
  commit: string;
  remove(): Promise<void>;
}

const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" }).trim();

/**
 * `ref` in a temporary worktree that uses this checkout's node_modules; removed by `remove`, or on
 * the bench's error and signal paths.
 */
function checkout(ref: string): Checkout {
  const dir = mkdtempSync(join(tmpdir(), "darkroom-ab-"));
  git("worktree", "add", "--detach", "--force", dir, ref);
  let removed = false;
  // Once only: the signal path may start it and the exit hook run it again in the same turn.
  const removeNow = () => {
    if (removed) return;
    removed = true;
    git("worktree", "remove", "--force", dir);
  };
  const tracked = track(`worktree ${dir}`, async () => removeNow(), removeNow);
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  return {
    dir,
    commit: git("-C", dir, "rev-parse", "--short", "HEAD"),
    remove: () => tracked.stop(),
  };
}

/** This checkout's commit, marked when uncommitted changes are part of what runs. */
function workCommit(): string {
  const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
  return `${git("rev-parse", "--short", "HEAD")}${dirty ? "+changes" : ""}`;
}

const median = (values: number[]) => percentile(values, 50);

/** Rounds in alternating order, so neither side always runs first. */
async function alternate(
  rounds: number,
  run: (side: Side, round: number) => Promise<number>,
  label: (value: number) => string,
): Promise<Record<Side, number[]>> {
  const out: Record<Side, number[]> = { base: [], work: [] };
  for (let round = 0; round < rounds; round++) {
    const order: Side[] = round % 2 === 0 ? ["base", "work"] : ["work", "base"];
    for (const side of order) out[side].push(await run(side, round));
    console.log(
      `round ${round + 1}/${rounds}: base ${label(out.base[round]!)}, work ${label(out.work[round]!)}`,
    );
  }
  return out;
}

async function schedulerAb(base: Checkout) {
  await ensureTinyModel(MODEL_DIR);
  const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 6);
  const origins: Partial<Record<Side, OriginProcess>> = {};
  try {
    for (const [side, port, cwd] of [
      ["base", 8861, base.dir],
      ["work", 8862, process.cwd()],
    ] as const) {
      console.log(`starting the ${side} origin…`);
      origins[side] = await startOriginProcess({
        port,
        secret: SECRET,
        cwd,
        env: { DARKROOM_MODEL_DIR: MODEL_DIR },
      });
    }
    const burst = async (side: Side, tag: string) => {
      const { samples, wallMs } = await saturatedBurst(origins[side]!.url, SECRET, tag);
      const ok = samples.filter((s) => s.status === 200).length;
      if (ok < samples.length) console.log(`${side}: ${samples.length - ok} requests failed`);
      return ok / (wallMs / 1000);
    };
    console.log("one warm-up burst each…");
    for (const side of ["base", "work"] as const) await burst(side, `ab-warm-${side}`);
    const ips = await alternate(
      rounds,
      (side, round) => burst(side, `ab-${side}-${round}`),
      (v) => `${v.toFixed(2)} img/s`,
    );
    const ratios = ips.work.map((w, i) => w / ips.base[i]!);
    printTable(
      ratios.map((r, i) => ({
        round: i + 1,
        "base img/s": round2(ips.base[i]!),
        "work img/s": round2(ips.work[i]!),
        "work / base": r.toFixed(3),
      })),
    );
    return {
      measure: "saturated images/s, bench:scheduler's traffic (120 requests at 200/s)",
      base_images_per_s: ips.base.map(round2),
      work_images_per_s: ips.work.map(round2),
      work_over_base: ratios.map((r) => Math.round(r * 1000) / 1000),
      median_work_over_base: Math.round(median(ratios) * 1000) / 1000,
      rounds_work_faster: ratios.filter((r) => r > 1).length,
    };
  } finally {
    await Promise.all(Object.values(origins).map((o) => o.stop()));
  }
}

async function edgeAb(base: Checkout) {
  const rounds = Number(process.env.BENCH_AB_ROUNDS ?? 10);
  const clients = Number(process.env.BENCH_AB_CLIENTS ?? 1);
  const perRound = Number(process.env.BENCH_AB_PER_ROUND ?? 300);
  const date = await compatibilityDate();
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const origin = await startOriginProcess({
      port: 18897,
      region: "us",
      secret: SECRET,
      env: { DARKROOM_BENCH_NULL_ORIGIN: "1", DARKROOM_LOG_LEVEL: "warn" },
    });
    stops.push(() => origin.stop());
    const edges = {} as Record<
      Side,
      { request: LoopRequest; pool: ReturnType<typeof keepAlivePool> }
    >;
    for (const [side, root] of [
      ["base", base.dir],
      ["work", process.cwd()],
    ] as const) {
      console.log(`starting the ${side} edge…`);
      const storage = await benchStorage("tmpfs");
      stops.push(storage.cleanup);
      const edge = await startEdge(
        origin.url,
        SECRET,
        date,
        storage.options,
        join(root, "edge/index.ts"),
        join(root, "migrations"),
      );
      stops.push(edge.stop);
      const url = edge.url;
      const pool = keepAlivePool(url, clients);
      stops.push(() => pool.close());
      edges[side] = { request: await benchTenantRequest(url), pool };
    }
    const samples: Record<Side, number[]> = { base: [], work: [] };
    const loop = async (side: Side, requests: number) => {
      const { request, pool } = edges[side];
      const result = await closedLoop({
        pool,
        concurrency: clients,
        requests,
        timeCapMs: 120_000,
        prepare: () => request,
      });
      if (result.errors > 0) throw new Error(`${side} edge: ${result.firstError}`);
      return result.samplesMs;
    };
    console.log("warming up both edges…");
    for (const side of ["base", "work"] as const) await loop(side, 200);
    const p50s = await alternate(
      rounds,
      async (side) => {
        const round = await loop(side, perRound);
        samples[side].push(...round);
        return median(round);
      },
      (v) => `p50 ${v.toFixed(3)} ms`,
    );
    const summary = (side: Side) => ({
      p50_ms: round2(percentile(samples[side], 50)),
      p90_ms: round2(percentile(samples[side], 90)),
      p99_ms: round2(percentile(samples[side], 99)),
    });
    const rows = (["base", "work"] as const).map((side) => ({ side, ...summary(side) }));
    printTable(rows);
    const diffs = p50s.work.map((w, i) => w - p50s.base[i]!);
    return {
      measure: `edge latency, closed loop, ${clients} client(s), ${perRound} requests per round`,
      base: summary("base"),
      work: summary("work"),
      round_p50_work_minus_base_ms: diffs.map((d) => Math.round(d * 1000) / 1000),
      median_p50_work_minus_base_ms: Math.round(median(diffs) * 1000) / 1000,
      rounds_work_faster: diffs.filter((d) => d < 0).length,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

async function main() {
  const [ref, mode = "scheduler"] = process.argv.slice(2);
  if (!ref || (mode !== "scheduler" && mode !== "edge")) {
    throw new Error("usage: npm run bench:ab -- <git ref> [scheduler|edge]");
  }
  const base = checkout(ref);
  const work = workCommit();
  console.log(`bench:ab ${mode}: base ${ref} (${base.commit}) vs work ${work}`);
  try {
    const result = mode === "scheduler" ? await schedulerAb(base) : await edgeAb(base);
    const out = { mode, base_ref: `${ref} (${base.commit})`, work_ref: work, ...result };
    console.log(JSON.stringify(out));
    await mkdir("bench/results", { recursive: true });
    await writeFile(`bench/results/ab-${mode}.json`, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote bench/results/ab-${mode}.json`);
  } finally {
    await base.remove();
  }
}

runBench("bench:ab", main);
