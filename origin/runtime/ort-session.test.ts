// What the origin asks onnxruntime for: counted threads and the spin-wait mode, as session config keys.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOriginConfig } from "../config";
import { sessionSettingsFrom } from "../load-pipeline";
import { writeTinyModel } from "../model/tiny";
import { openSession, sessionOptions } from "./ort-session";

const execFileAsync = promisify(execFile);

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

describe("when CUDA cannot load", () => {
  it("falls back to CPU and tells the operator the install command that fetches the provider", async () => {
    const dir = mkdtempSync(join(tmpdir(), "darkroom-cuda-"));
    try {
      await writeTinyModel(dir);
      const warnings: string[] = [];
      // No such device on any host: CUDA fails to load here, and on a GPU host too.
      const settings = {
        ...base,
        providers: ["cuda", "cpu"] as const,
        intraOpThreads: 1,
        cudaDevice: 999,
      };
      const opened = await openSession(join(dir, "vae_decoder/model.onnx"), settings, (m) =>
        warnings.push(m),
      );
      expect(opened.executionProvider).toBe("cpu");
      await opened.session.release();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain("falling back to CPU");
      // npm ≥ 11.16 skips install scripts under `npm rebuild`: run the script itself.
      expect(warnings[0]).toContain(
        "ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js",
      );
      expect(warnings[0]).not.toContain("npm rebuild");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("onnxruntime's telemetry", () => {
  const MODEL_DIR = mkdtempSync(join(tmpdir(), "darkroom-ort-model-"));
  // The file is the only trace of the telemetry client a test can see, and not every machine gets
  // one: where onnxruntime writes none even with telemetry on (seen on the CI machine), there is
  // nothing to tell "off" from "on", and the comparison is skipped rather than passed.
  let controlFiles: string[] = [];
  beforeAll(async () => {
    writeTinyModel(MODEL_DIR);
    controlFiles = await tempFilesAfterASession({ ORT_DISABLE_TELEMETRY: "0" }, "main");
  });
  afterAll(() => rmSync(MODEL_DIR, { recursive: true, force: true }));
  /** Opens the tiny model's UNet in a fresh process, on the main thread or a worker; lists its temp folder. */
  async function tempFilesAfterASession(env: Record<string, string>, thread: "main" | "worker") {
    const tmp = mkdtempSync(join(tmpdir(), "darkroom-ort-"));
    const [module, loader] =
      thread === "main"
        ? ["onnx-diffusion-runtime.ts", "loadOnnxRuntime"]
        : ["worker-runtime.ts", "loadWorkerRuntime"];
    const options = { providers: ["cpu"], intraOpThreads: 1, interOpThreads: 1, cudaDevice: 0 };
    const script = join(tmp, "open-session.mts");
    writeFileSync(
      script,
      `const m = await import(${JSON.stringify(resolve("origin/runtime", module))});
       const runtime = await m.${loader}(${JSON.stringify(MODEL_DIR)}, ${JSON.stringify({ ...options, graphs: "unet" })});
       await runtime.dispose();`,
    );
    const { ORT_DISABLE_TELEMETRY: _, ...inherited } = process.env;
    await execFileAsync(process.execPath, ["--import", "tsx", script], {
      env: { ...inherited, TMPDIR: tmp, ...env },
    });
    const files = readdirSync(tmp).filter((f) => f.startsWith("mat-debug-"));
    rmSync(tmp, { recursive: true, force: true });
    return files;
  }

  it("is off in the origin's processes, on the main thread and in workers", async (context) => {
    context.skip(
      controlFiles.length === 0,
      "onnxruntime writes no telemetry file here even with ORT_DISABLE_TELEMETRY=0",
    );
    expect(controlFiles).toHaveLength(1);
    expect(await tempFilesAfterASession({}, "main")).toEqual([]);
    expect(await tempFilesAfterASession({}, "worker")).toEqual([]);
  });
});
