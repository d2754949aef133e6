// BENCHMARK-ONLY origin mode (DARKROOM_BENCH_NULL_ORIGIN=1): skips inference and answers every valid,
// signed generate call with one fixed 8×8 PNG, so bench:edge can measure the edge's own cost.
import { createHash } from "node:crypto";
import sharp from "sharp";
import type { GenerateRequest, GenerateResponse } from "../../protocol/generate";

export interface BenchNullImage {
  b64: string;
  sha256: string;
}

export async function createBenchNullImage(): Promise<BenchNullImage> {
  const bytes = await sharp({
    create: { width: 8, height: 8, channels: 3, background: { r: 40, g: 40, b: 40 } },
  })
    .png()
    .toBuffer();
  return {
    b64: bytes.toString("base64"),
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

export function benchNullResponse(
  req: GenerateRequest,
  image: BenchNullImage,
  region: string,
): GenerateResponse {
  const zero = { queue_ms: 0, text_encode_ms: 0, denoise_ms: 0, decode_ms: 0, postprocess_ms: 0 };
  return {
    images: Array.from({ length: req.n }, (_, i) => ({
      b64: image.b64,
      seed: (req.seed + i) >>> 0,
      sha256: image.sha256,
      width: 8,
      height: 8,
      format: "png" as const,
    })),
    metadata: {
      request_id: req.request_id,
      region,
      model: "bench-null",
      model_hash: "0".repeat(64),
      tier: req.tier,
      scheduler: req.scheduler,
      steps: req.steps,
      guidance_scale: req.guidance_scale,
      execution_provider: "none (benchmark-only null origin)",
      onnxruntime_version: "none",
      timings: { ...zero, total_ms: 0 },
    },
  };
}
