// Generated images in R2 under a tenant-scoped, content-addressed key: no tenant can address another's bytes.
import type { GeneratedImage } from "../../../protocol/generate";
import type { OutputFormat } from "../../../protocol/tiers";

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  png: "image/png",
  webp: "image/webp",
  jpeg: "image/jpeg",
};

/** `img_` + 24 base62 characters (~143 bits of the content's SHA-256): URL-safe, and the same bytes
 *  always get the same id, so a repeat stores nothing new. Not a secret: the key's tenant prefix is
 *  what keeps one tenant from another's images. */
export const IMAGE_ID = /^img_[0-9A-Za-z]{24}$/;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The image id of bytes with this SHA-256 (hex): its first 144 bits in base62, 24 characters. */
export function imageIdFor(sha256: string): string {
  let value = BigInt(`0x${sha256.slice(0, 36)}`);
  let out = "";
  for (let i = 0; i < 24; i++) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return `img_${out}`;
}

export interface StoredImage {
  readonly body: ReadableStream;
  readonly contentType: string;
  readonly sha256: string;
  readonly size: number;
}

export interface ImageStore {
  /** Stores the bytes and returns their image id; R2 verifies them against `sha256`. */
  put(
    tenantId: string,
    bytes: Uint8Array,
    meta: { sha256: string; format: OutputFormat },
  ): Promise<string>;
  /** Null when the tenant has no such image, including when another tenant does. */
  get(tenantId: string, imageId: string): Promise<StoredImage | null>;
}

/** The tenant id is part of the key: a lookup can only ever reach the caller's own prefix. */
export const imageKey = (tenantId: string, imageId: string) => `images/${tenantId}/${imageId}`;

export class R2ImageStore implements ImageStore {
  constructor(private readonly bucket: R2Bucket) {}

  async put(tenantId: string, bytes: Uint8Array, meta: { sha256: string; format: OutputFormat }) {
    const imageId = imageIdFor(meta.sha256);
    await this.bucket.put(imageKey(tenantId, imageId), bytes, {
      sha256: meta.sha256,
      httpMetadata: { contentType: CONTENT_TYPES[meta.format] },
      customMetadata: { sha256: meta.sha256, tenant_id: tenantId },
    });
    return imageId;
  }

  async get(tenantId: string, imageId: string): Promise<StoredImage | null> {
    if (!IMAGE_ID.test(imageId)) return null;
    const object = await this.bucket.get(imageKey(tenantId, imageId));
    if (!object) return null;
    return {
      body: object.body,
      contentType: object.httpMetadata?.contentType ?? "application/octet-stream",
      sha256: object.customMetadata?.sha256 ?? "",
      size: object.size,
    };
  }
}

/** Base64 → bytes without Node's Buffer (not in the Workers runtime without nodejs_compat). */
export function decodeBase64(b64: string): Uint8Array {
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export interface StoredImageRef {
  readonly id: string;
  readonly sha256: string;
  readonly format: OutputFormat;
}

/** Stores an origin's images for a tenant; rejects if any could not be stored (R2 checks each hash). */
export function storeGeneratedImages(
  images: ImageStore,
  tenantId: string,
  generated: readonly GeneratedImage[],
): Promise<StoredImageRef[]> {
  return Promise.all(
    generated.map(async (image) => {
      const id = await images.put(tenantId, decodeBase64(image.b64), {
        sha256: image.sha256,
        format: image.format,
      });
      return { id, sha256: image.sha256, format: image.format };
    }),
  );
}
