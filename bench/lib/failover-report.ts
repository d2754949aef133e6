// bench:failover's numbers: latency per phase, failed requests, breaker timings, and what each one means.
import type { GenerationRecord } from "../../test/support/generation-client";
import type { FailoverConfig, FailoverRun } from "./failover-run";
import { percentile, round2 } from "./stats";

export const DEFINITIONS = {
  failed_requests: "client requests (every phase) that did not end in 200 with images",
  p50_ms_steady: "client latency (send → last body byte), requests sent and done before the kill",
  p99_ms_steady: "as p50_ms_steady, 99th percentile",
  p99_ms_during_failover:
    "99th percentile of requests in flight at any moment between the kill and the first " +
    "registry read of the open breaker (without a registry: the whole time the origin was down)",
  breaker_open_ms:
    "from the killed origin's process group being gone to the first GET /admin/origins read " +
    "with its breaker 'open' (polled every poll_ms, so it over-reads by up to one poll and one " +
    "admin round trip); null when the edge has no registry or the breaker never opened",
  readmitted_ms:
    "from the restarted origin answering /readyz to the end of the first request it served " +
    "(its half-open trial); null if it never served again",
  breaker_closed_again_ms: "from the restart being ready to the first read of 'closed'",
} as const;

const latency = (r: GenerationRecord) => r.doneAt - r.sentAt;

function stats(records: readonly GenerationRecord[]) {
  const ok = records.filter((r) => r.status === 200).map(latency);
  return {
    n: records.length,
    failed: records.length - ok.length,
    p50: ok.length ? round2(percentile(ok, 50)) : null,
    p99: ok.length ? round2(percentile(ok, 99)) : null,
    max: ok.length ? round2(Math.max(...ok)) : null,
  };
}

const since = (from: number, to: number | null) => (to === null ? null : round2(to - from));

export function failoverReport(run: FailoverRun, config: FailoverConfig) {
  const t = run.timeline;
  const failoverEnd = t.breakerOpen ?? t.restartedReady;
  const phases = {
    steady: run.records.filter((r) => r.doneAt < t.killed),
    failover: run.records.filter((r) => r.doneAt >= t.killed && r.sentAt < failoverEnd),
    down: run.records.filter((r) => r.sentAt >= failoverEnd && r.sentAt < t.restartedReady),
    recovery: run.records.filter((r) => r.sentAt >= t.restartedReady),
  };
  const byPhase = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, stats(v)]));
  const servedBy: Record<string, number> = {};
  for (const r of run.records) if (r.region) servedBy[r.region] = (servedBy[r.region] ?? 0) + 1;
  const errors: Record<string, number> = {};
  for (const r of run.records) {
    if (r.status !== 200)
      errors[`${r.status} ${r.errorCode}`] = (errors[`${r.status} ${r.errorCode}`] ?? 0) + 1;
  }
  const whileDown = run.records.filter((r) => r.sentAt >= t.killed && r.sentAt < t.restartBegan);
  return {
    failed_requests: run.records.filter((r) => r.status !== 200).length,
    p50_ms_steady: byPhase.steady!.p50,
    p99_ms_steady: byPhase.steady!.p99,
    p99_ms_during_failover: byPhase.failover!.p99,
    breaker_open_ms: since(t.killed, t.breakerOpen),
    readmitted_ms: since(t.restartedReady, t.servedAgain),
    breaker_closed_again_ms: since(t.restartedReady, t.breakerClosedAgain),
    goals: { failed_requests_zero: run.records.every((r) => r.status === 200) },
    killed_region: run.preferred,
    phases: byPhase,
    counts: {
      requests: run.records.length,
      images_delivered: run.records.reduce((sum, r) => sum + r.images, 0),
      served_by: servedBy,
      errors,
      /** Sent from the kill to the restart; an open breaker keeps attempts_at_dead_origin well below it. */
      requests_sent_while_down: whileDown.length,
      attempts_at_dead_origin: run.attemptsAtDeadOrigin,
    },
    timeline_ms: {
      killed: round2(t.killed - t.loadStart),
      breaker_open: since(t.loadStart, t.breakerOpen),
      restart_began: round2(t.restartBegan - t.loadStart),
      restarted_ready: round2(t.restartedReady - t.loadStart),
      served_again: since(t.loadStart, t.servedAgain),
      load_end: round2(t.loadEnd - t.loadStart),
    },
    breaker_states: run.breakerStates.map((s) => ({ ...s, atMs: round2(s.atMs) })),
    config,
    definitions: DEFINITIONS,
  };
}

export type FailoverReport = ReturnType<typeof failoverReport>;

export function phaseRows(report: FailoverReport) {
  return Object.entries(report.phases).map(([phase, s]) => ({
    phase,
    n: s.n,
    failed: s.failed,
    "p50 ms": s.p50 ?? "-",
    "p99 ms": s.p99 ?? "-",
    "max ms": s.max ?? "-",
  }));
}
