// Decoder output → 8-bit RGB → PNG (png-encode.ts) or WebP/JPEG (sharp), the receipt embedded as XMP.
import { createHash } from "node:crypto";
import sharp from "sharp";
import type { Receipt } from "../../protocol/receipt";
import type { OutputFormat } from "../../protocol/tiers";
import { encodePng, PNG_FAST, PNG_SMALL } from "./png-encode";
import { receiptFromXmp, receiptToXmp } from "./receipt-xmp";

/**
 * Planar RGB in [-1, 1] (the VAE's range) → interleaved RGB bytes. Uint8ClampedArray clamps and
 * rounds (half to even) in the store itself, which keeps this loop branch-free and cheap; one pass
 * over the pixels writes the output sequentially.
 */
export function toRgb8(pixels: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const out = new Uint8ClampedArray(plane * 3);
  const g = pixels.subarray(plane, 2 * plane);
  const b = pixels.subarray(2 * plane, 3 * plane);
  for (let i = 0, o = 0; i < plane; i++, o += 3) {
    out[o] = (pixels[i]! + 1) * 127.5;
    out[o + 1] = (g[i]! + 1) * 127.5;
    out[o + 2] = (b[i]! + 1) * 127.5;
  }
  return new Uint8Array(out.buffer);
}

/**
 * A decoded image holding NaN or ±Infinity: the VAE (or UNet) overflowed, typically a float16
 * export's activations past 65504. Encoded, such pixels would quietly turn black (0), so the
 * request fails instead, as an internal error of this origin.
 */
export class NonFinitePixelsError extends Error {
  override name = "NonFinitePixelsError";
}

/**
 * Throws NonFinitePixelsError unless every value is finite. One summing pass (~0.4 ms at 512²):
 * NaN or ±Infinity anywhere makes the float64 sum non-finite, and finite float32 values cannot
 * overflow it.
 */
export function checkFinitePixels(pixels: Float32Array): void {
  let sum = 0;
  for (let i = 0; i < pixels.length; i++) sum += pixels[i]!;
  if (Number.isFinite(sum)) return;
  let bad = 0;
  for (let i = 0; i < pixels.length; i++) if (!Number.isFinite(pixels[i]!)) bad++;
  throw new NonFinitePixelsError(
    `the decoded image has ${bad} non-finite value(s) (NaN/Infinity) of ${pixels.length}: the ` +
      "model overflowed (typically a float16 VAE decoder); refusing to encode a black image",
  );
}

export interface EncodedImage {
  bytes: Buffer;
  sha256: string;
  format: OutputFormat;
}

/**
 * Decoder output (planar RGB in [-1, 1]) → an image file. PNG goes through encodePng (Sub-filtered rows on node:zlib; `favourLatency`, the fast tier, takes
 * Huffman-only deflate); WebP and JPEG through sharp. Every format carries the receipt as XMP.
 * Rejects with NonFinitePixelsError for an image with NaN or Infinity in it.
 */
export async function encodeImage(
  pixels: Float32Array,
  width: number,
  height: number,
  format: OutputFormat,
  receipt: Receipt,
  favourLatency = false,
): Promise<EncodedImage> {
  checkFinitePixels(pixels);
  const xmp = receiptToXmp(receipt);
  const bytes =
    format === "png"
      ? await encodePng(pixels, width, height, xmp, favourLatency ? PNG_FAST : PNG_SMALL)
      : await lossy(toRgb8(pixels, width, height), width, height, format, xmp);
  return { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), format };
}

function lossy(
  rgb: Uint8Array,
  width: number,
  height: number,
  format: "webp" | "jpeg",
  xmp: string,
): Promise<Buffer> {
  const image = sharp(rgb, { raw: { width, height, channels: 3 } }).withXmp(xmp);
  return (
    format === "webp" ? image.webp({ quality: 90 }) : image.jpeg({ quality: 92, mozjpeg: false })
  ).toBuffer();
}

/** Reads the receipt back from an encoded image (any of the three formats). */
export async function readReceipt(bytes: Buffer | Uint8Array): Promise<Receipt | null> {
  const meta = await sharp(bytes).metadata();
  const xmp = meta.xmpAsString ?? meta.xmp?.toString("utf8");
  return xmp ? receiptFromXmp(xmp) : null;
}
