// The heap setting: configured from the environment, and honoured by V8 when set at run time.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { loadOriginConfig } from "./config";

/** The growing factors V8 reports (`--trace-gc-verbose`) in a process that called tuneHeap(percent). */
function reportedFactors(percent: number): string[] {
  const script = [
    "import { tuneHeap } from './origin/heap-tuning.ts';",
    `tuneHeap(${percent});`,
    "const kept = Array.from({ length: 100000 }, (_, i) => ({ i }));",
    "globalThis.gc();",
    "if (kept.length === 0) process.exit(1);",
  ].join(" ");
  const out = execFileSync(
    process.execPath,
    ["--trace-gc-verbose", "--expose-gc", "--import", "tsx", "--input-type=module", "-e", script],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  return [...out.matchAll(/\[HeapController\] Limit: .*\((\d+\.\d)\)/g)].map((m) => m[1]!);
}

describe("DARKROOM_HEAP_GROWING_PERCENT", () => {
  it("defaults to 400 % and accepts 0 (V8's own heuristic)", () => {
    expect(loadOriginConfig({}).heapGrowingPercent).toBe(400);
    expect(loadOriginConfig({ DARKROOM_HEAP_GROWING_PERCENT: "0" }).heapGrowingPercent).toBe(0);
  });

  it.each(["-1", "1001", "2.5", "lots"])("rejects %s, naming the variable", (value) => {
    expect(() => loadOriginConfig({ DARKROOM_HEAP_GROWING_PERCENT: value })).toThrow(
      /DARKROOM_HEAP_GROWING_PERCENT/,
    );
  });

  it("sets the factor V8 uses for its next limit (1 + percent / 100)", () => {
    expect(reportedFactors(150)).toContain("2.5");
    expect(reportedFactors(250)).toContain("3.5");
  });
});
