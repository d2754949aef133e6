// The audit receipt every image carries: what is needed to re-render it bit-identically.
import { z } from "zod";

export const RECEIPT_VERSION = 1;

export const ReceiptSchema = z.object({
  receipt_version: z.literal(RECEIPT_VERSION),
  request_id: z.string(),
  model: z.object({ id: z.string(), sha256: z.string() }),
  runtime: z.object({ onnxruntime: z.string(), execution_provider: z.string() }),
  tier: z.string(),
  scheduler: z.string(),
  steps: z.number(),
  guidance_scale: z.number(),
  seed: z.number(),
  width: z.number(),
  height: z.number(),
  prompt_sha256: z.string(),
  negative_prompt_sha256: z.string(),
  /** Only where the tenant's policy allows keeping prompts. */
  prompt: z.string().optional(),
  safety: z.object({ decision: z.string(), policy_version: z.string() }),
  region: z.string(),
  timings: z.object({
    queue_ms: z.number(),
    inference_ms: z.number(),
    postprocess_ms: z.number(),
  }),
});
export type Receipt = z.infer<typeof ReceiptSchema>;
