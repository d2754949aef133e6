// What the origin asks onnxruntime for: counted threads and the spin-wait mode, as session config keys.
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { loadOriginConfig } from "../config";
import { sessionSettingsFrom } from "../load-pipeline";
import { sessionOptions } from "./ort-session";

const base = { providers: ["cpu"] as Array<"cpu">, interOpThreads: 1, cudaDevice: 0 };

describe("sessionOptions", () => {
  it("counts one intra-op thread per CPU for 0, and keeps an explicit count", () => {
    expect(sessionOptions({ ...base, intraOpThreads: 0 }).intraOpNumThreads).toBe(
      availableParallelism(),
    );
    expect(sessionOptions({ ...base, intraOpThreads: 3 }).intraOpNumThreads).toBe(3);
  });

  it.each([
    ["run", { intra_op: { allow_spinning: "1" }, force_spinning_stop: "1" }],
    ["on", { intra_op: { allow_spinning: "1" }, force_spinning_stop: "0" }],
    ["off", { intra_op: { allow_spinning: "0" } }],
  ] as const)("DARKROOM_INTRA_OP_SPINNING=%s", (mode, session) => {
    const config = loadOriginConfig({ DARKROOM_INTRA_OP_SPINNING: mode });
    expect(sessionOptions(sessionSettingsFrom(config)).extra).toEqual({ session });
  });

  it("spins only during a call unless configured otherwise", () => {
    const config = loadOriginConfig({});
    expect(config.intraOpSpinning).toBe("run");
    expect(sessionOptions({ ...base, intraOpThreads: 1 }).extra).toEqual({
      session: { intra_op: { allow_spinning: "1" }, force_spinning_stop: "1" },
    });
    expect(() => loadOriginConfig({ DARKROOM_INTRA_OP_SPINNING: "sometimes" })).toThrow(
      /DARKROOM_INTRA_OP_SPINNING/,
    );
  });
});

describe("DARKROOM_RUNTIME_THREAD", () => {
  it.each([
    [{}, "main"],
    [{ DARKROOM_PROVIDERS: "cuda,cpu" }, "worker"],
    [{ DARKROOM_RUNTIME_THREAD: "worker" }, "worker"],
    [{ DARKROOM_PROVIDERS: "cuda,cpu", DARKROOM_RUNTIME_THREAD: "main" }, "main"],
  ] as const)("%o runs the graphs on the %s thread", (env, thread) => {
    expect(loadOriginConfig(env).runtimeThread).toBe(thread);
  });
});
