// The request-level diffusion pipeline: tokenize → text encoder → denoise loop → VAE decode.
import { usesGuidance } from "../diffusion/guidance";
import { gaussianNoise } from "../diffusion/noise";
import type { Scheduler, SchedulerName } from "../diffusion/scheduler";
import { createScheduler } from "../diffusion/scheduler";
import { advanceRows, type DenoiseRow } from "./denoise-row";
import type { DiffusionRuntime } from "./diffusion-runtime";
import { EmbeddingCache, embeddingKey } from "./embedding-cache";

export interface PromptTokenizer {
  encode(text: string): Int32Array;
}

export interface GenerateParams {
  prompt: string;
  negative_prompt: string;
  n: number;
  width: number;
  height: number;
  steps: number;
  guidance_scale: number;
  seed: number;
  scheduler: SchedulerName;
}

export interface DecodedImage {
  seed: number;
  /** Planar RGB in [-1, 1], 3 × height × width. */
  pixels: Float32Array;
}

export interface PipelineTimings {
  text_encode_ms: number;
  denoise_ms: number;
  decode_ms: number;
}

export type StepListener = (step: number, steps: number) => void;

/** Image i of a request uses seed + i (mod 2^32), so each image can be re-rendered on its own. */
export function imageSeed(seed: number, index: number): number {
  return (seed + index) >>> 0;
}

export interface PromptEmbeddings {
  cond: Float32Array;
  uncond: Float32Array | null;
  /** Identifies (model, prompt tokens, negative tokens): part of every cached latent's key. */
  key: string;
}

export class DiffusionPipeline {
  private readonly schedulers = new Map<string, Scheduler>();

  constructor(
    readonly runtime: DiffusionRuntime,
    readonly tokenizer: PromptTokenizer,
    readonly embeddings: EmbeddingCache = new EmbeddingCache(),
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  get model() {
    return this.runtime.model;
  }

  /** The model takes guidance as an input (LCM): one conditional row per image, never CFG. */
  get embedsGuidance(): boolean {
    return (this.model.guidanceEmbeddingDim ?? null) !== null;
  }

  latentSize(width: number, height: number): { h: number; w: number } {
    const f = this.model.vaeScaleFactor;
    return { h: Math.floor(height / f), w: Math.floor(width / f) };
  }

  /** Token ids → text-encoder states, through the embedding cache (per tenant: `scope`); misses
   *  share one encoder call. */
  async encodePrompts(
    prompt: string,
    negative: string,
    guided: boolean,
    scope = "",
  ): Promise<PromptEmbeddings> {
    const ids = guided
      ? [this.tokenizer.encode(prompt), this.tokenizer.encode(negative)]
      : [this.tokenizer.encode(prompt)];
    const keys = ids.map((row) => embeddingKey(this.model.sha256, row, scope));
    const states = keys.map((k) => this.embeddings.get(k));
    const missing = states.flatMap((s, i) => (s ? [] : [i]));
    if (missing.length > 0) {
      const encoded = await this.runtime.encodeText(missing.map((i) => ids[i]!));
      missing.forEach((i, k) => {
        states[i] = encoded[k]!;
        this.embeddings.set(keys[i]!, encoded[k]!);
      });
    }
    return { cond: states[0]!, uncond: states[1] ?? null, key: keys.join(":") };
  }

  /**
   * Schedulers are stateless (σ and timestep tables plus pure step functions), so one per (name,
   * steps) serves every row; building one costs 0.15–0.3 ms, which the fast tier felt per image.
   */
  scheduler(name: SchedulerName, steps: number): Scheduler {
    const key = `${name}/${steps}`;
    let scheduler = this.schedulers.get(key);
    if (!scheduler) {
      scheduler = createScheduler(name, this.model.schedulerConfig, steps);
      this.schedulers.set(key, scheduler);
    }
    return scheduler;
  }

  initialRows(p: GenerateParams, cond: Float32Array, uncond: Float32Array | null): DenoiseRow[] {
    const { h, w } = this.latentSize(p.width, p.height);
    const length = this.model.latentChannels * h * w;
    const scheduler = this.scheduler(p.scheduler, p.steps);
    return Array.from({ length: p.n }, (_, i) => {
      const seed = imageSeed(p.seed, i);
      const sample = gaussianNoise(seed, 0, length);
      for (let k = 0; k < length; k++) sample[k]! *= scheduler.initNoiseSigma;
      const rowUncond = this.embedsGuidance ? null : uncond;
      return {
        scheduler,
        seed,
        cond,
        uncond: rowUncond,
        guidance: p.guidance_scale,
        sample,
        step: 0,
      };
    });
  }

  async generate(
    p: GenerateParams,
    onStep?: StepListener,
  ): Promise<{ images: DecodedImage[]; timings: PipelineTimings }> {
    const t0 = this.now();
    const guided = usesGuidance(p.guidance_scale, this.embedsGuidance);
    const { cond, uncond } = await this.encodePrompts(p.prompt, p.negative_prompt, guided);
    const t1 = this.now();
    const rows = this.initialRows(p, cond, uncond);
    const { h, w } = this.latentSize(p.width, p.height);
    for (let step = 0; step < p.steps; step++) {
      await advanceRows(this.runtime, rows, h, w);
      onStep?.(step + 1, p.steps);
    }
    const t2 = this.now();
    const pixels = await this.runtime.decode(
      rows.map((r) => r.sample),
      h,
      w,
    );
    const t3 = this.now();
    return {
      images: rows.map((r, i) => ({ seed: r.seed, pixels: pixels[i]! })),
      timings: { text_encode_ms: t1 - t0, denoise_ms: t2 - t1, decode_ms: t3 - t2 },
    };
  }
}
