import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { Receipt } from "../../protocol/receipt";
import { encodeImage, NonFinitePixelsError, readReceipt, toRgb8 } from "./encode-image";

const receipt: Receipt = {
  receipt_version: 1,
  request_id: "req-1",
  model: { id: "tiny-sd", sha256: "ab".repeat(32) },
  runtime: { onnxruntime: "1.30.0", execution_provider: "cpu" },
  tier: "fast",
  scheduler: "euler",
  steps: 2,
  guidance_scale: 0,
  seed: 42,
  width: 64,
  height: 32,
  prompt_sha256: "cd".repeat(32),
  negative_prompt_sha256: "ef".repeat(32),
  prompt: 'a <red> fox & "friends"',
  safety: { decision: "allow", policy_version: "2026-11-26.1" },
  region: "us",
  timings: { queue_ms: 1.5, inference_ms: 20, postprocess_ms: 0.25 },
};

/** Ramps past both ends of [-1, 1] (clamping) and through exact halves (0 → 127.5 rounds to 128). */
function gradient(width: number, height: number): Float32Array {
  const pixels = new Float32Array(3 * width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i % 101) / 40 - 1.25;
  return pixels;
}

describe("encodeImage", () => {
  it.each(["png", "webp", "jpeg"] as const)(
    "embeds a receipt that reads back from %s",
    async (format) => {
      const encoded = await encodeImage(gradient(64, 32), 64, 32, format, receipt);
      const meta = await sharp(encoded.bytes).metadata();
      expect(meta.format).toBe(format === "jpeg" ? "jpeg" : format);
      expect([meta.width, meta.height]).toEqual([64, 32]);
      expect(await readReceipt(encoded.bytes)).toEqual(receipt);
    },
  );

  it.each([
    ["bytes", false],
    ["latency", true],
  ])("keeps PNG pixels lossless when favouring %s", async (_, favourLatency) => {
    const pixels = gradient(64, 32);
    const rgb = toRgb8(pixels, 64, 32);
    const encoded = await encodeImage(pixels, 64, 32, "png", receipt, favourLatency);
    expect((await readReceipt(encoded.bytes))?.request_id).toBe("req-1");
    const raw = await sharp(encoded.bytes).raw().toBuffer();
    expect(Buffer.from(raw).equals(Buffer.from(rgb))).toBe(true);
  });

  it("quantises PNG pixels exactly like toRgb8 at the rounding edges, at every size in turn", async () => {
    // Values whose (v + 1) × 127.5 lands on .5 exactly or just beside it, and out of range.
    const edges = [-1.5, -1, -0.99607843, 0.00392157, 1 / 255, 0.5, 1, 1.25];
    const image = (w: number, h: number) =>
      Float32Array.from({ length: 3 * w * h }, (_, i) => edges[i % edges.length]! + (i % 7) / 255);
    // Large, small, large again: the quantiser's reused scratch must never leak between images.
    for (const [w, h] of [
      [48, 40],
      [8, 4],
      [48, 40],
    ] as const) {
      const pixels = image(w, h);
      const encoded = await encodeImage(pixels, w, h, "png", receipt, true);
      const raw = await sharp(encoded.bytes).raw().toBuffer();
      expect(Buffer.from(raw).equals(Buffer.from(toRgb8(pixels, w, h)))).toBe(true);
    }
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
  ])(
    "refuses an image with %s in it (a float16 overflow) instead of encoding black",
    async (_, bad) => {
      const pixels = gradient(64, 32);
      pixels[1000] = bad;
      pixels[5000] = bad;
      for (const format of ["png", "webp", "jpeg"] as const) {
        const encoding = encodeImage(pixels, 64, 32, format, receipt);
        await expect(encoding).rejects.toThrow(NonFinitePixelsError);
        await expect(encoding).rejects.toThrow(/2 non-finite value\(s\) \(NaN\/Infinity\)/);
      }
    },
  );

  it("maps the decoder range [-1, 1] onto 0..255 with clamping", () => {
    const planar = Float32Array.from([-1, 0, 1, 2, -2, 0.5]);
    // 2 pixels, planes R=[-1,0], G=[1,2], B=[-2,0.5]
    expect(Array.from(toRgb8(planar, 2, 1))).toEqual([0, 255, 0, 128, 255, 191]);
  });

  it("reports no receipt for an image without one", async () => {
    const plain = await sharp({ create: { width: 4, height: 4, channels: 3, background: "red" } })
      .png()
      .toBuffer();
    expect(await readReceipt(plain)).toBeNull();
  });
});
