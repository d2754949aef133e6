// Generated images in R2 under a tenant-scoped key, so one tenant can never address another's bytes.
import type { OutputFormat } from "../../../protocol/tiers";
import { randomBase62 } from "../ids/random-base62";

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  png: "image/png",
  webp: "image/webp",
  jpeg: "image/jpeg",
};

/** `img_` + 24 base62 characters (~143 bits): unguessable, URL-safe. */
export const IMAGE_ID = /^img_[0-9A-Za-z]{24}$/;

export interface StoredImage {
  readonly body: ReadableStream;
  readonly contentType: string;
  readonly sha256: string;
  readonly size: number;
}

export interface ImageStore {
  /** Stores the bytes and returns the new image id; R2 verifies them against `sha256`. */
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
    const imageId = `img_${randomBase62(24)}`;
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
