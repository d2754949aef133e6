// A DiffusionRuntime whose graphs run on a worker thread, so the event loop stays free while they do.
import { Worker } from "node:worker_threads";
import "./ort-telemetry";
import type { DiffusionRuntime, ModelInfo, UnetRow } from "../engine/diffusion-runtime";
import type { OnnxRuntimeOptions } from "./onnx-diffusion-runtime";
import type { RuntimeReply, RuntimeRequest } from "./worker-protocol";

type Pending = { resolve: (value: Float32Array[]) => void; reject: (error: Error) => void };

function errorFrom(reply: { name: string; message: string }): Error {
  const error = new Error(reply.message);
  error.name = reply.name;
  return error;
}

/**
 * onnxruntime-node runs a session synchronously on the calling thread. On the main thread that
 * blocked the event loop for every UNet and VAE call: HTTP parsing, PNG encoding, /readyz,
 * /metrics, load reports and cancellations all waited up to a whole call. Here the sessions live on
 * one worker thread and the main thread does that work meanwhile. Inputs and outputs are copied
 * between the threads (tens of KB per UNet row, 0.8 MB per 256² image).
 */
class WorkerDiffusionRuntime implements DiffusionRuntime {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private exited: Error | null = null;
  private loaded: ModelInfo | null = null;
  private disposing = false;
  private readonly failureListeners: Array<(error: Error) => void> = [];
  /** Settles once: the model's description, or why loading failed. */
  readonly ready: Promise<ModelInfo>;

  constructor(private readonly worker: Worker) {
    let ready!: { resolve: (model: ModelInfo) => void; reject: (error: Error) => void };
    this.ready = new Promise<ModelInfo>((resolve, reject) => {
      ready = { resolve, reject };
    });
    // One set of listeners for the worker's whole life (removing every 'message' listener would
    // stop the port).
    worker.on("message", (reply: RuntimeReply) => {
      if (reply.kind === "ready") {
        this.loaded = reply.model;
        ready.resolve(reply.model);
        return;
      }
      if (reply.kind === "failed") return ready.reject(errorFrom(reply));
      const call = this.pending.get(reply.id);
      if (!call) return;
      this.pending.delete(reply.id);
      if (reply.kind === "result") call.resolve(reply.value);
      else call.reject(errorFrom(reply));
    });
    const fail = (error: Error) => {
      if (this.exited) return;
      this.exited = error;
      ready.reject(error);
      if (!this.disposing) for (const listener of this.failureListeners) listener(error);
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
    worker.on("error", (error) => fail(new Error(`onnxruntime worker failed: ${error.message}`)));
    worker.on("messageerror", (error) =>
      fail(new Error(`onnxruntime worker reply lost: ${error}`)),
    );
    worker.on("exit", (code) => fail(new Error(`onnxruntime worker exited (code ${code})`)));
  }

  get model(): ModelInfo {
    if (!this.loaded) throw new Error("onnxruntime worker has not loaded a model");
    return this.loaded;
  }

  private call(call: RuntimeRequest): Promise<Float32Array[]> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<Float32Array[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...call, id });
    });
  }

  encodeText(tokenIds: readonly Int32Array[]): Promise<Float32Array[]> {
    return this.call({ method: "encodeText", tokenIds: [...tokenIds] });
  }

  unet(rows: readonly UnetRow[], h: number, w: number): Promise<Float32Array[]> {
    return this.call({ method: "unet", rows: [...rows], h, w });
  }

  decode(latents: readonly Float32Array[], h: number, w: number): Promise<Float32Array[]> {
    return this.call({ method: "decode", latents: [...latents], h, w });
  }

  onFailure(listener: (error: Error) => void): void {
    this.failureListeners.push(listener);
  }

  async dispose(): Promise<void> {
    this.disposing = true;
    if (!this.exited) await this.call({ method: "dispose" }).catch(() => undefined);
    await this.worker.terminate();
  }
}

/** Loads the model on a new worker thread; load failures (layout, names) reject with their message. */
export async function loadWorkerRuntime(
  modelDir: string,
  options: OnnxRuntimeOptions,
): Promise<DiffusionRuntime> {
  const worker = new Worker(new URL("./onnx-worker-entry.mjs", import.meta.url), {
    workerData: { modelDir, options },
  });
  const runtime = new WorkerDiffusionRuntime(worker);
  try {
    await runtime.ready;
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  return runtime;
}
