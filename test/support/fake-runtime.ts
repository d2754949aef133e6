// A fake clock and a FAKE runtime (no onnxruntime) for driving the batcher deterministically in tests.
import { parseSchedulerConfig } from "../../origin/diffusion/scheduler-config";
import type { DiffusionRuntime, ModelInfo, UnetRow } from "../../origin/engine/diffusion-runtime";
import { DiffusionPipeline } from "../../origin/engine/pipeline";
import type { Clock } from "../../origin/scheduler/clock";

/** Virtual time: sleeping jumps the clock forward; only an idle (long) sleep waits for a wake. */
export class FakeClock implements Clock {
  time = 0;
  private idle: Array<() => void> = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    if (ms < 30_000) {
      this.time += ms;
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => this.idle.push(resolve));
  }

  wake(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }
}

export interface UnetCall {
  at: number;
  /** The prompt label of each UNet row, in batch order (CFG rows appear twice). */
  labels: string[];
  timesteps: number[];
}

/**
 * Prompts are "label" strings; the FAKE text encoder maps each to a one-float context holding the
 * label's index, so every UNet call records which jobs shared it. Each UNet row costs `rowMs`.
 */
export class FakeRuntime implements DiffusionRuntime {
  readonly calls: UnetCall[] = [];
  /** Images per VAE call, in call order. */
  readonly decodeCalls: number[] = [];
  readonly labels: string[] = [];
  onUnet: ((callIndex: number) => void) | null = null;
  failNext = false;

  constructor(
    readonly clock: FakeClock,
    readonly rowMs = 10,
    readonly decodeMs = 5,
  ) {}

  readonly model: ModelInfo = {
    id: "fake",
    sha256: "fake-model",
    latentChannels: 4,
    vaeScaleFactor: 8,
    scalingFactor: 0.18215,
    hiddenSize: 1,
    seqLen: 1,
    perRowTimestep: true,
    schedulerConfig: parseSchedulerConfig({ timestep_spacing: "trailing" }),
    executionProvider: "fake",
    onnxruntimeVersion: "fake",
  };

  labelId(label: string): number {
    let id = this.labels.indexOf(label);
    if (id < 0) id = this.labels.push(label) - 1;
    return id;
  }

  async encodeText(ids: readonly Int32Array[]): Promise<Float32Array[]> {
    return ids.map((row) => Float32Array.of(row[0]!));
  }

  async unet(rows: readonly UnetRow[]): Promise<Float32Array[]> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error("FAKE runtime failure");
    }
    this.calls.push({
      at: this.clock.time,
      labels: rows.map((r) => this.labels[r.context[0]!] ?? "?"),
      timesteps: rows.map((r) => r.timestep),
    });
    this.clock.time += this.rowMs * rows.length;
    this.onUnet?.(this.calls.length);
    // A constant prediction keeps the math real and deterministic.
    return rows.map((r) => r.sample.map((x) => 0.1 * x));
  }

  async decode(latents: readonly Float32Array[]): Promise<Float32Array[]> {
    this.decodeCalls.push(latents.length);
    this.clock.time += this.decodeMs * latents.length;
    return latents.map((l) => Float32Array.of(l[0]!, l[1]!, l[2]!));
  }

  async dispose(): Promise<void> {}
}

export function fakePipeline(runtime: FakeRuntime): DiffusionPipeline {
  const tokenizer = { encode: (text: string) => Int32Array.of(runtime.labelId(text)) };
  return new DiffusionPipeline(runtime, tokenizer, undefined, () => runtime.clock.time);
}
