// A DiffusionRuntime that splits a UNet batch's rows across several runtime instances in parallel.
import type { DiffusionRuntime, ModelInfo, UnetRow } from "../engine/diffusion-runtime";

/**
 * On a CPU, onnxruntime's intra-op pool scales poorly over the tiny UNet's small kernels: on this
 * project's two-core machine one two-threaded session costs 11.0–11.1 ms per row at 2–8 rows, and
 * one single-threaded session 17.6–18.1 ms per row. Two single-threaded instances running at once,
 * each taking half the rows, cost 10.0–10.3 ms per row (0.90–0.93 of the one session, interleaved
 * in one run): no barrier between threads inside each kernel. A lone row cannot be split, and on one
 * thread it takes ~1.7× as long, so it stays on the primary runtime (all threads).
 *
 * Where the primary runs on the event loop's thread, the first instance does too, and the others on
 * worker threads. onnxruntime-node's calls are synchronous, so that share blocks the event loop
 * while the workers compute, as the primary's calls always did: HTTP, PNG encoding and the
 * scheduler's JavaScript wait for the call instead of taking a core from it. With every share on a
 * worker, that JavaScript ran beside the two single-thread instances on two cores and the gain was
 * gone: saturated bench:scheduler bursts served 1.008× the unsplit rate (median of 6 alternating
 * rounds), against 1.139× (10 rounds, all faster) with one share on the event loop's thread.
 *
 * Splitting pays while the largest share is at most this fraction of the rows: with a single-thread
 * row at ~1.65–1.75× a two-thread row, 2 of 3 rows (0.67) on one instance loses, 3 of 5 (0.6) breaks
 * even.
 */
export const MAX_SPLIT_SHARE = 0.6;

/** Row ranges, one per instance used, for `rows` over `instances`; null when splitting loses. */
export function splitPlan(rows: number, instances: number): Array<[number, number]> | null {
  if (instances < 2 || rows < 2) return null;
  const parts = Math.min(rows, instances);
  const largest = Math.ceil(rows / parts);
  if (largest / rows > MAX_SPLIT_SHARE) return null;
  const ranges: Array<[number, number]> = [];
  let start = 0;
  for (let i = 0; i < parts; i++) {
    // Balanced: the first `rows % parts` shares take one row more.
    const size = Math.floor(rows / parts) + (i < rows % parts ? 1 : 0);
    ranges.push([start, start + size]);
    start += size;
  }
  return ranges;
}

/**
 * The primary runtime runs the text encoder, the VAE and every UNet call `splitPlan` keeps whole;
 * the instances (runtimes of the same model, fewer threads each) run the shares of a split call at
 * once, the first share on the first instance. An instance whose worker thread dies is dropped,
 * with a warning, and the rest carry on; the call that was on it fails like any runtime error.
 */
export class SplitUnetRuntime implements DiffusionRuntime {
  private live: DiffusionRuntime[];

  constructor(
    private readonly primary: DiffusionRuntime,
    private readonly instances: readonly DiffusionRuntime[],
    private readonly warn: (message: string) => void = console.warn,
  ) {
    for (const instance of instances) {
      if (instance.model.sha256 !== primary.model.sha256) {
        throw new Error(
          `UNet instance loaded model ${instance.model.sha256}, the primary ${primary.model.sha256}`,
        );
      }
      instance.onFailure?.((error) => this.drop(instance, error));
    }
    this.live = [...instances];
  }

  get model(): ModelInfo {
    return this.primary.model;
  }

  /** Instances still splitting UNet calls. */
  get instanceCount(): number {
    return this.live.length;
  }

  private drop(instance: DiffusionRuntime, error: Error) {
    if (!this.live.includes(instance)) return;
    this.live = this.live.filter((i) => i !== instance);
    this.warn(
      `darkroom: a UNet instance stopped (${error.message}); ${this.live.length} left beside the primary runtime`,
    );
  }

  encodeText(tokenIds: readonly Int32Array[]): Promise<Float32Array[]> {
    return this.primary.encodeText(tokenIds);
  }

  async unet(rows: readonly UnetRow[], h: number, w: number): Promise<Float32Array[]> {
    const instances = this.live;
    const plan = splitPlan(rows.length, instances.length);
    if (!plan) return this.primary.unet(rows, h, w);
    const shares = await Promise.all(
      plan.map(([start, end], i) => instances[i]!.unet(rows.slice(start, end), h, w)),
    );
    return shares.flat();
  }

  decode(latents: readonly Float32Array[], h: number, w: number): Promise<Float32Array[]> {
    return this.primary.decode(latents, h, w);
  }

  releasePixels(pixels: readonly Float32Array[]): void {
    this.primary.releasePixels?.(pixels);
  }

  onFailure(listener: (error: Error) => void): void {
    this.primary.onFailure?.(listener);
  }

  async dispose(): Promise<void> {
    this.live = [];
    await Promise.all([this.primary.dispose(), ...this.instances.map((i) => i.dispose())]);
  }
}

export type UnetInstancesSetting = number | "auto";

export interface InstancePlan {
  /** Instances beside the primary runtime; 0: no splitting. */
  count: number;
  /** Intra-op threads each instance runs with. */
  threadsEach: number;
  /** Why, for the start-up log. */
  reason: string;
}

/**
 * `auto` splits across two instances only where it was measured to pay: the CPU provider, at least
 * two intra-op threads to share between them, and room in the model memory budget for the copy of
 * the UNet each instance loads (instances open no text encoder or decoder). GPUs run one session
 * (a CUDA stream each would be another design). A number asks for that many instances (0 or 1:
 * none), sharing the threads. Only two cores were measured; on larger machines, measure with
 * `npm run bench:ab`.
 */
export function planUnetInstances(
  setting: UnetInstancesSetting,
  context: {
    provider: string;
    /** Intra-op threads the primary runtime uses. */
    threads: number;
    /** The whole model's estimated memory, and its UNet's (model-memory.ts). */
    modelBytes: number;
    unetBytes: number;
    budgetBytes: number;
  },
): InstancePlan {
  const split = (count: number, reason: string): InstancePlan => ({
    count,
    threadsEach: Math.max(1, Math.floor(context.threads / count)),
    reason,
  });
  const off = (reason: string): InstancePlan => ({ count: 0, threadsEach: 0, reason });
  if (setting !== "auto") {
    return setting >= 2
      ? split(setting, `DARKROOM_UNET_INSTANCES=${setting}`)
      : off(`DARKROOM_UNET_INSTANCES=${setting}`);
  }
  if (context.provider !== "cpu") {
    return off(`auto: the ${context.provider} provider runs one session`);
  }
  if (context.threads < 2) return off("auto: one intra-op thread, nothing to split");
  if (context.modelBytes + 2 * context.unetBytes > context.budgetBytes) {
    return off(
      "auto: the model and two more copies of its UNet would exceed DARKROOM_MODEL_MEMORY_MB",
    );
  }
  return split(2, "auto");
}
