// The worker-thread runtime gives the calling-thread runtime's exact outputs, keeps the event loop
// free while a graph runs, and fails the way the loader does.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DiffusionRuntime } from "../engine/diffusion-runtime";
import { writeTinyModel } from "../model/tiny";
import { loadOnnxRuntime } from "./onnx-diffusion-runtime";
import { loadWorkerRuntime } from "./worker-runtime";

const settings = {
  providers: ["cpu"] as Array<"cpu">,
  intraOpThreads: 1,
  interOpThreads: 1,
  cudaDevice: 0,
};
let dir: string;
let onWorker: DiffusionRuntime;
let onMain: DiffusionRuntime;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "darkroom-worker-"));
  await writeTinyModel(dir);
  [onWorker, onMain] = await Promise.all([
    loadWorkerRuntime(dir, settings),
    loadOnnxRuntime(dir, settings),
  ]);
});

afterAll(async () => {
  await Promise.all([onWorker?.dispose(), onMain?.dispose()]);
  await rm(dir, { recursive: true, force: true });
});

describe("loadWorkerRuntime", () => {
  it("describes the same model", () => {
    expect(onWorker.model).toEqual(onMain.model);
  });

  it("returns the calling-thread runtime's exact floats for every graph", async () => {
    const ids = [new Int32Array(77).fill(1), new Int32Array(77).fill(2)];
    const [w, m] = await Promise.all([onWorker.encodeText(ids), onMain.encodeText(ids)]);
    expect(w).toEqual(m);
    const sample = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i));
    const rows = [
      { sample, timestep: 999, context: m[0]! },
      { sample, timestep: 499, context: m[1]! },
    ];
    expect(await onWorker.unet(rows, 8, 8)).toEqual(await onMain.unet(rows, 8, 8));
    const latents = [sample, sample.map((v) => -v)];
    expect(await onWorker.decode(latents, 8, 8)).toEqual(await onMain.decode(latents, 8, 8));
  });

  it("leaves the event loop free while a graph runs", async () => {
    // onnxruntime-node runs a session synchronously inside one event-loop turn of its own: on the
    // calling thread the call has settled by the time a turn queued just after it comes round; on
    // the worker it has not (the graph still runs there). Order, not time, tells them apart.
    const latent = new Float32Array(4 * 64 * 64).fill(0.1);
    const settledWithinOneTurn = async (runtime: typeof onMain) => {
      let settled = false;
      const call = runtime.decode([latent], 64, 64).then(() => {
        settled = true;
      });
      await new Promise<void>((resolve) => setImmediate(resolve));
      const early = settled;
      await call;
      return early;
    };
    expect(await settledWithinOneTurn(onMain)).toBe(true);
    expect(await settledWithinOneTurn(onWorker)).toBe(false);
  });

  it("rejects at load with the loader's message naming the missing file", async () => {
    const broken = await mkdtemp(join(tmpdir(), "darkroom-worker-broken-"));
    try {
      await writeTinyModel(broken);
      await rm(join(broken, "unet/model.onnx"));
      const expected = await loadOnnxRuntime(broken, settings).then(
        () => "loaded",
        (e: Error) => e.message,
      );
      expect(expected).toMatch(/unet\/model\.onnx/);
      await expect(loadWorkerRuntime(broken, settings)).rejects.toThrow(expected);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it("reports a worker thread that dies on its own, and not one it disposed", async () => {
    const crashed = await loadWorkerRuntime(dir, settings);
    const failures: Error[] = [];
    crashed.onFailure?.((error) => failures.push(error));
    // What a crash looks like from here: the thread exits without being asked to.
    await (crashed as unknown as { worker: Worker }).worker.terminate();
    expect(failures.map((e) => e.message)).toEqual([expect.stringMatching(/worker exited/)]);
    await expect(crashed.unet([], 8, 8)).rejects.toThrow(/worker exited/);

    const disposed = await loadWorkerRuntime(dir, settings);
    disposed.onFailure?.((error) => failures.push(error));
    await disposed.dispose();
    expect(failures).toHaveLength(1);
  });

  it("rejects calls once disposed", async () => {
    const runtime = await loadWorkerRuntime(dir, settings);
    await runtime.dispose();
    await expect(runtime.encodeText([new Int32Array(77)])).rejects.toThrow(/worker exited/);
  });
});
