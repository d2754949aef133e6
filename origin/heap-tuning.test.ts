// The heap setting's configuration: on by default, switchable off, and refused when malformed.
import { describe, expect, it } from "vitest";
import { loadOriginConfig } from "./config";
import { tuneHeap } from "./heap-tuning";

describe("DARKROOM_HEAP_GROWING_PERCENT", () => {
  it("defaults to 400 % and accepts 0 (V8's own heuristic)", () => {
    expect(loadOriginConfig({}).heapGrowingPercent).toBe(400);
    expect(loadOriginConfig({ DARKROOM_HEAP_GROWING_PERCENT: "0" }).heapGrowingPercent).toBe(0);
    expect(() => tuneHeap(0)).not.toThrow();
  });

  it.each(["-1", "1001", "2.5", "lots"])("rejects %s, naming the variable", (value) => {
    expect(() => loadOriginConfig({ DARKROOM_HEAP_GROWING_PERCENT: value })).toThrow(
      /DARKROOM_HEAP_GROWING_PERCENT/,
    );
  });
});
