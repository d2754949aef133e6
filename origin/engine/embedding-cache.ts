// Prompt embeddings keyed by (text-encoder content hash, tenant, token ids): a hit skips the text encoder.
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";

/**
 * `scope` is the tenant: a hit is faster than a miss by the text encoder's time, which an origin
 * reports (`text_encode_ms`), so a shared entry would tell one tenant that another used a prompt.
 */
export function embeddingKey(modelSha256: string, ids: Int32Array, scope = ""): string {
  const hash = createHash("sha256")
    .update(modelSha256)
    .update(`\0${scope}\0`)
    .update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
  return hash.digest("hex");
}

export class EmbeddingCache {
  private readonly entries: LRUCache<string, Float32Array>;
  hits = 0;
  misses = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.entries = new LRUCache({ maxSize: maxBytes, sizeCalculation: (v) => v.byteLength });
  }

  get(key: string): Float32Array | undefined {
    const hit = this.entries.get(key);
    if (hit) this.hits += 1;
    else this.misses += 1;
    return hit;
  }

  set(key: string, value: Float32Array): void {
    this.entries.set(key, value);
  }
}
