// Per-stage cost of the prefilter, for the edge benchmark's per-check report.
// Run it under Node or another runtime with a live clock: inside workerd, performance.now()
// does not advance while code computes, and every stage would read 0 µs.
import { normalizePrompt } from "./normalize-prompt";
import { runSafety, SAFETY_CHECKS } from "./prefilter";
import { compileSafetyPolicy } from "./tenant-policy";
import type { SafetyResult, TenantSafetyAdditions } from "./types";

export interface StageTiming {
  /** "normalize", a check's name, or "total" (runSafety end to end, measured separately). */
  readonly name: string;
  /** Mean microseconds per prompt. */
  readonly micros: number;
}

export interface SafetyTimings {
  readonly stages: readonly StageTiming[];
  readonly iterations: number;
  readonly result: SafetyResult;
}

export interface TimeChecksOptions {
  readonly iterations?: number;
  readonly additions?: TenantSafetyAdditions | null;
  readonly now?: () => number;
}

/** Distinct copies of the prompt, so that no engine cache keyed on one string flatters a stage. */
function copies(prompt: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${i} ${prompt}`.slice(String(i).length + 1));
}

/**
 * Mean cost of each stage (normalisation, then each check in order) measured in context, one
 * clock read around each stage of each run, and of runSafety end to end. A check that throws
 * here throws to the caller: this is a benchmark, not the request path.
 */
export function timeChecks(prompt: string, options: TimeChecksOptions = {}): SafetyTimings {
  const iterations = Math.max(1, options.iterations ?? 2000);
  const now = options.now ?? (() => performance.now());
  const policy = compileSafetyPolicy(options.additions);
  for (let i = 0; i < 200; i++) runSafety(prompt, options.additions);
  const spent: number[] = new Array(SAFETY_CHECKS.length + 1).fill(0);
  for (const subject of copies(prompt, iterations)) {
    let start = now();
    const input = normalizePrompt(subject);
    let end = now();
    spent[0] = (spent[0] ?? 0) + end - start;
    for (let c = 0; c < SAFETY_CHECKS.length; c++) {
      start = end;
      SAFETY_CHECKS[c]?.run(input, policy);
      end = now();
      spent[c + 1] = (spent[c + 1] ?? 0) + end - start;
    }
  }
  const subjects = copies(prompt, iterations);
  const start = now();
  for (const subject of subjects) runSafety(subject, options.additions);
  const total = now() - start;
  const names = ["normalize", ...SAFETY_CHECKS.map((check) => check.name), "total"];
  const stages = names.map((name, i) => ({
    name,
    micros: (((i < spent.length ? spent[i] : total) ?? 0) * 1000) / iterations,
  }));
  return { stages, iterations, result: runSafety(prompt, options.additions) };
}
