// bench:failover — steady load through the edge over origins us, eu, ap; the preferred one is killed mid-run and restarted.
// Progress on stderr; the table on stdout; bench/results/failover.json (with what each number means).

import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { startRegionBed } from "../test/support/region-bed";
import { runBench, track } from "./lib/cleanup";
import { DEFINITIONS, failoverReport, phaseRows } from "./lib/failover-report";
import { type FailoverConfig, runFailover } from "./lib/failover-run";
import { printTable, round2 } from "./lib/stats";

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const CONFIG: FailoverConfig = {
  clients: num("BENCH_CLIENTS", 4),
  steadyMs: num("BENCH_STEADY_S", 10) * 1000,
  downMs: num("BENCH_DOWN_S", 10) * 1000,
  recoverMs: num("BENCH_RECOVER_S", 10) * 1000,
  pollMs: num("BENCH_POLL_MS", 50),
};
/** Short breaker settings, as in the scenario tests, so re-admission fits the run. */
const EDGE_VARS = {
  BREAKER_FAILURES: process.env.BENCH_BREAKER_FAILURES ?? "3",
  BREAKER_COOLDOWN_MS: process.env.BENCH_BREAKER_COOLDOWN_MS ?? "2000",
};
const PORTS = {
  edgePort: num("BENCH_EDGE_PORT", 19788),
  originPortBase: num("BENCH_ORIGIN_PORT_BASE", 19721),
};

const log = (line: string) => process.stderr.write(`▸ ${line}\n`);

async function main() {
  log(
    `bench:failover on ${cpus().length} CPUs (load ${loadavg()[0]?.toFixed(1)}), Node ${process.version}`,
  );
  log(`starting origins us, eu, ap behind chaos proxies and the edge (wrangler dev)…`);
  const bed = await startRegionBed({ ...PORTS, edgeVars: EDGE_VARS, progress: log });
  // Its processes lead their own process groups, which Ctrl-C does not reach: stopped on the
  // error and signal paths too (and SIGKILLed by the local stack's exit hook as a last resort).
  const stopBed = track("the region bed", () => bed.stop()).stop;
  let report: ReturnType<typeof failoverReport>;
  try {
    if (!bed.stack.originsRegistered) {
      log(
        "the edge has no /admin/origins: failing over through the ORIGINS list, no breaker to read",
      );
    }
    const tenant = await bed.newTenant("bench-failover");
    const run = await runFailover(bed, tenant.key, CONFIG, log);
    report = failoverReport(run, CONFIG);
  } finally {
    await stopBed();
  }
  const out = {
    ...report,
    registry: bed.stack.originsRegistered,
    edge_vars: EDGE_VARS,
    machine: {
      cpus: cpus().length,
      node: process.version,
      loadavg_1m_at_end: round2(loadavg()[0] ?? 0),
      at: new Date().toISOString(),
    },
  };
  printTable(phaseRows(report));
  console.log("");
  printTable([
    {
      "failed requests": report.failed_requests,
      "p50 steady ms": report.p50_ms_steady ?? "-",
      "p99 steady ms": report.p99_ms_steady ?? "-",
      "p99 failover ms": report.p99_ms_during_failover ?? "-",
      "breaker open ms": report.breaker_open_ms ?? "-",
      "readmitted ms": report.readmitted_ms ?? "-",
    },
  ]);
  console.log(
    `\nkilled ${report.killed_region}; served by ${JSON.stringify(report.counts.served_by)}`,
  );
  console.log(
    `attempts at the dead origin: ${report.counts.attempts_at_dead_origin} of ` +
      `${report.counts.requests_sent_while_down} requests sent while it was down`,
  );
  console.log(`breaker open ms: ${DEFINITIONS.breaker_open_ms}`);
  console.log(`p99 failover ms: ${DEFINITIONS.p99_ms_during_failover}`);
  console.log("\ngoals:", JSON.stringify(report.goals));
  await mkdir("bench/results", { recursive: true });
  await writeFile("bench/results/failover.json", `${JSON.stringify(out, null, 2)}\n`);
  console.log("wrote bench/results/failover.json");
  process.exit(0);
}

runBench("bench:failover", main);
