// The small interface between the denoising loop and whatever runs the graphs (onnxruntime today).
import type { SchedulerConfig } from "../diffusion/scheduler-config";

export interface ModelInfo {
  /** Human-readable id, e.g. "tiny-sd" or "stabilityai/sd-turbo". */
  id: string;
  /** SHA-256 over the model's graph and config files: the version every cache is keyed by. */
  sha256: string;
  latentChannels: number;
  /** Pixels per latent cell (8 for SD). */
  vaeScaleFactor: number;
  /** Latents are divided by this before the VAE decoder (0.18215 for SD1/SD2/SD-Turbo). */
  scalingFactor: number;
  /** Text-encoder hidden size and sequence length: one context row is seqLen × hiddenSize floats. */
  hiddenSize: number;
  seqLen: number;
  /** True when the UNet takes one timestep per batch row, so rows at different steps can share a call. */
  perRowTimestep: boolean;
  schedulerConfig: SchedulerConfig;
  /**
   * Width of the UNet's guidance-scale embedding input (LCM's `timestep_cond`); null or absent
   * when guidance means classifier-free guidance over [uncond; cond] rows.
   */
  guidanceEmbeddingDim?: number | null;
  executionProvider: string;
  onnxruntimeVersion: string;
}

/** One row of a UNet call: a latent at its own timestep with its own text context. */
export interface UnetRow {
  sample: Float32Array;
  timestep: number;
  context: Float32Array;
  /** The request's guidance_scale: a model with a guidance embedding is conditioned on it. */
  guidance?: number;
}

export interface DiffusionRuntime {
  readonly model: ModelInfo;
  /** Token ids (seqLen each) → last_hidden_state rows (seqLen × hiddenSize each). */
  encodeText(tokenIds: readonly Int32Array[]): Promise<Float32Array[]>;
  /** One UNet evaluation over rows of equal latent size; returns each row's prediction. */
  unet(
    rows: readonly UnetRow[],
    latentHeight: number,
    latentWidth: number,
  ): Promise<Float32Array[]>;
  /** Scaled latents → images as planar RGB in [-1, 1], (3 × H × W) each. */
  decode(
    latents: readonly Float32Array[],
    latentHeight: number,
    latentWidth: number,
  ): Promise<Float32Array[]>;
  /**
   * Hands images from `decode` back once nothing reads them any more, so a later decode can reuse
   * their memory. Optional on both sides: a runtime may not pool, a caller may never release (the
   * buffers are then collected as garbage). Releasing an image twice, or one not from `decode`, is
   * a no-op.
   */
  releasePixels?(pixels: readonly Float32Array[]): void;
  dispose(): Promise<void>;
  /**
   * Calls `listener` once if the runtime stops being able to run graphs on its own (its thread
   * died), never after `dispose`. Runtimes that cannot fail that way need not implement it.
   */
  onFailure?(listener: (error: Error) => void): void;
}
