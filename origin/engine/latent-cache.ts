// Intermediate latents of finished requests, so an edit can re-enter the loop at step k.
import { LRUCache } from "lru-cache";

/** Everything a latent at step k depends on: a different model hash can never hit. */
export interface LatentOrigin {
  /** Only the tenant whose request made it may resume from it. */
  tenantId: string;
  modelSha256: string;
  embeddingKey: string;
  seed: number;
  scheduler: string;
  steps: number;
  /** Size and guidance shape the trajectory: renders differing only in these must not collide. */
  width: number;
  height: number;
  guidance_scale: number;
  /** The latent a resumed run started from (`request#image@step`); "" for a run from noise. */
  resumedFrom: string;
}

export interface CachedLatent {
  origin: LatentOrigin;
  step: number;
  latent: Float32Array;
}

export function latentKey(o: LatentOrigin, step: number): string {
  return [
    o.tenantId,
    o.modelSha256,
    o.embeddingKey,
    o.seed,
    o.scheduler,
    o.steps,
    o.width,
    o.height,
    o.guidance_scale,
    o.resumedFrom,
    step,
  ].join("|");
}

export class LatentCache {
  private readonly latents: LRUCache<string, CachedLatent>;
  /** (request id, image index) → what produced it, so clients can refer to "image 0 of req X". */
  private readonly byRequest = new LRUCache<string, LatentOrigin>({ max: 10_000 });
  hits = 0;
  misses = 0;

  constructor(maxBytes = 256 * 1024 * 1024) {
    this.latents = new LRUCache({
      maxSize: maxBytes,
      sizeCalculation: (v) => v.latent.byteLength + 256,
    });
  }

  put(
    requestId: string,
    imageIndex: number,
    origin: LatentOrigin,
    step: number,
    latent: Float32Array,
  ) {
    this.byRequest.set(`${requestId}#${imageIndex}`, origin);
    this.latents.set(latentKey(origin, step), { origin, step, latent });
  }

  /** The latent of image `imageIndex` of an earlier request after `step` steps, if still cached
   *  and made for the same tenant (another tenant's reads as not cached). */
  find(
    requestId: string,
    imageIndex: number,
    step: number,
    modelSha256: string,
    tenantId: string,
  ): CachedLatent | null {
    const origin = this.byRequest.get(`${requestId}#${imageIndex}`);
    const hit =
      origin && origin.modelSha256 === modelSha256 && origin.tenantId === tenantId
        ? this.latents.get(latentKey(origin, step))
        : undefined;
    if (hit) this.hits += 1;
    else this.misses += 1;
    return hit ?? null;
  }
}
