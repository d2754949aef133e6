import { describe, expect, it } from "vitest";
import type { GenerateResponse } from "../../protocol/generate";
import { responseBytes } from "./encode-response";

const image = (b64: string, seed: number) => ({
  b64,
  seed,
  sha256: "ab".repeat(32),
  width: 64,
  height: 64,
  format: "png" as const,
});

function body(images: GenerateResponse["images"]): GenerateResponse {
  return {
    images,
    metadata: {
      request_id: 'req "quoted" \u2028 ünïcode',
      region: "us",
      model: "tiny-sd",
      model_hash: "cd".repeat(32),
      tier: "fast",
      scheduler: "euler",
      steps: 2,
      guidance_scale: 0,
      execution_provider: "cpu",
      onnxruntime_version: "1.30.0",
      timings: { queue_ms: 0.5, text_encode_ms: 1, denoise_ms: 2, decode_ms: 3 },
      degraded: "steps 20→8",
    },
  } as GenerateResponse;
}

describe("responseBytes", () => {
  it.each([
    ["no image", []],
    ["one image", [image("iVBORw0KGgo+/=", 7)]],
    ["several images", [image("AAAA", 1), image("QkJC", 2), image("", 3)]],
  ])("parses back to the same body with %s", (_, images) => {
    const expected = body(images);
    const bytes = responseBytes(expected);
    expect(JSON.parse(bytes.toString("utf8"))).toEqual(expected);
  });
});
