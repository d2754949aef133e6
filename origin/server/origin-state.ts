// Lifecycle of one origin process: loading → ready → draining; routes consult it for readiness.
import type { DiffusionPipeline } from "../engine/pipeline";
import type { LatentProjection } from "../imaging/latent-preview";
import type { ContinuousBatcher } from "../scheduler/continuous-batcher";

export type OriginPhase = "loading" | "ready" | "draining" | "failed";

export interface ServingParts {
  pipeline: DiffusionPipeline;
  scheduler: ContinuousBatcher;
  /** How this model's latents become preview pixels; absent, progress events carry no previews. */
  preview?: LatentProjection | null;
}

export class OriginState {
  phase: OriginPhase = "loading";
  failure: string | null = null;
  private parts: ServingParts | null = null;

  markReady(parts: ServingParts) {
    this.parts = parts;
    if (this.phase === "loading") this.phase = "ready";
  }

  markFailed(message: string) {
    this.phase = "failed";
    this.failure = message;
  }

  /** BENCHMARK-ONLY null-origin mode: ready without a model. */
  markReadyWithoutModel() {
    if (this.phase === "loading") this.phase = "ready";
  }

  /** A failed origin stays failed (healthz 503) while it drains: it is not healthy again. */
  startDraining() {
    if (this.phase !== "failed") this.phase = "draining";
  }

  /** The serving parts when the origin admits work, otherwise null. */
  serving(): ServingParts | null {
    return this.phase === "ready" ? this.parts : null;
  }

  loaded(): ServingParts | null {
    return this.parts;
  }
}
