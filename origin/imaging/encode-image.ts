// Decoder output → 8-bit RGB → PNG/WebP/JPEG with sharp, the receipt embedded as XMP.
import { createHash } from "node:crypto";
import sharp from "sharp";
import type { Receipt } from "../../protocol/receipt";
import type { OutputFormat } from "../../protocol/tiers";
import { receiptFromXmp, receiptToXmp } from "./receipt-xmp";

/** Planar RGB in [-1, 1] (the VAE's range) → interleaved RGB bytes. */
export function toRgb8(pixels: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const out = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < plane; i++) {
      const v = (pixels[c * plane + i]! + 1) * 127.5;
      out[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return out;
}

export interface EncodedImage {
  bytes: Buffer;
  sha256: string;
  format: OutputFormat;
}

/**
 * PNG uses a fast zlib level: at these sizes level 9 costs several times the UNet step for a
 * few percent of bytes, and the fast tier's latency budget matters more than transfer size.
 */
export async function encodeImage(
  rgb: Uint8Array,
  width: number,
  height: number,
  format: OutputFormat,
  receipt: Receipt,
): Promise<EncodedImage> {
  let image = sharp(rgb, { raw: { width, height, channels: 3 } }).withXmp(receiptToXmp(receipt));
  if (format === "png") image = image.png({ compressionLevel: 3, adaptiveFiltering: false });
  else if (format === "webp") image = image.webp({ quality: 90 });
  else image = image.jpeg({ quality: 92, mozjpeg: false });
  const bytes = await image.toBuffer();
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), format };
}

/** Reads the receipt back from an encoded image (any of the three formats). */
export async function readReceipt(bytes: Buffer | Uint8Array): Promise<Receipt | null> {
  const meta = await sharp(bytes).metadata();
  const xmp = meta.xmpAsString ?? meta.xmp?.toString("utf8");
  return xmp ? receiptFromXmp(xmp) : null;
}
