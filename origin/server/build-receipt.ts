// Assembles the audit receipt for one image from the request, the model and the measured timings.
import { createHash } from "node:crypto";
import type { GenerateRequest } from "../../protocol/generate";
import { RECEIPT_VERSION, type Receipt } from "../../protocol/receipt";
import type { ModelInfo } from "../engine/diffusion-runtime";

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

export function buildReceipt(
  req: GenerateRequest,
  model: ModelInfo,
  region: string,
  seed: number,
  timings: { queue_ms: number; inference_ms: number; postprocess_ms: number },
): Receipt {
  return {
    receipt_version: RECEIPT_VERSION,
    request_id: req.request_id,
    model: { id: model.id, sha256: model.sha256 },
    runtime: { onnxruntime: model.onnxruntimeVersion, execution_provider: model.executionProvider },
    tier: req.tier,
    scheduler: req.scheduler,
    steps: req.steps,
    guidance_scale: req.guidance_scale,
    seed,
    width: req.width,
    height: req.height,
    prompt_sha256: sha256(req.prompt),
    negative_prompt_sha256: sha256(req.negative_prompt),
    ...(req.store_prompt ? { prompt: req.prompt } : {}),
    safety: { decision: req.safety.decision, policy_version: req.safety.policy_version },
    region,
    timings: {
      queue_ms: round(timings.queue_ms),
      inference_ms: round(timings.inference_ms),
      postprocess_ms: round(timings.postprocess_ms),
    },
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
