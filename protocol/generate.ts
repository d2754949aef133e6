// The edge→origin generate call: request schema (validated at the origin's boundary) and response.
import { z } from "zod";
import { OUTPUT_FORMATS, SCHEDULERS, sizeAllowed, TIER_SPECS, TIERS } from "./tiers";

export const MAX_PROMPT_CHARS = 4000;
export const MAX_IMAGES = 4;
export const UINT32_MAX = 0xffff_ffff;
export const MAX_PREVIEW_EVERY = 50;
/** The longest a detached streamed run waits for its reader to come back. */
export const MAX_DETACH_GRACE_MS = 300_000;

/** A prompt must be well-formed UTF-16: an unpaired surrogate cannot be encoded for the tokenizer. */
export function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

const prompt = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine(isWellFormed, "must be well-formed Unicode (unpaired surrogate found)");

export const GenerateRequestSchema = z
  .strictObject({
    request_id: z.string().min(1).max(128),
    tenant_id: z.string().min(1).max(128),
    tier: z.enum(TIERS),
    model: z.string().min(1).max(128),
    prompt: prompt(MAX_PROMPT_CHARS).min(1, "must not be empty"),
    negative_prompt: prompt(MAX_PROMPT_CHARS).default(""),
    n: z.number().int().min(1).max(MAX_IMAGES),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    steps: z.number().int().positive(),
    guidance_scale: z.number().min(0).max(30),
    seed: z.number().int().min(0).max(UINT32_MAX),
    scheduler: z.enum(SCHEDULERS),
    output_format: z.enum(OUTPUT_FORMATS).default("png"),
    /** Time budget left when the edge sent the call, in ms (relative, so clock skew cannot matter). */
    deadline_ms: z.number().int().positive().max(86_400_000),
    /** Order within a tier; lower runs first. */
    priority: z.number().int().min(0).max(9).default(5),
    /** The edge's safety verdict, copied into each image's receipt. */
    safety: z
      .strictObject({ decision: z.string().max(64), policy_version: z.string().max(64) })
      .default({ decision: "not_checked", policy_version: "none" }),
    /** Serve with fewer steps or the fast tier (and say so) rather than refuse when overloaded. */
    allow_degrade: z.boolean().default(false),
    /**
     * Edit an earlier image: re-enter the denoising loop from the latent that request
     * `request_id` (same tenant, same origin) had after `from_step` steps, with this request's
     * prompt. Seed, scheduler and steps must equal the earlier request's; n must be 1.
     */
    resume: z
      .strictObject({
        request_id: z.string().min(1).max(128),
        image_index: z.number().int().min(0).max(3).default(0),
        from_step: z.number().int().min(1),
      })
      .optional(),
    /** Whether the tenant's policy allows the prompt text itself in the receipt. */
    store_prompt: z.boolean().default(false),
    /**
     * With `Accept: text/event-stream`: a preview every this many steps (0 = none). Absent, the
     * origin picks per tier (see `defaultPreviewEvery`).
     */
    preview_every: z.number().int().min(0).max(MAX_PREVIEW_EVERY).optional(),
    /**
     * With `Accept: text/event-stream`: when the stream's reader goes away, the run goes on for
     * this long, and `POST /internal/v1/attach` picks its events up again (the edge hands a long
     * job from one Durable Object alarm to the next this way). Absent or 0: a closed stream
     * cancels the run.
     */
    detach_grace_ms: z.number().int().min(0).max(MAX_DETACH_GRACE_MS).optional(),
  })
  .superRefine((req, ctx) => {
    const spec = TIER_SPECS[req.tier];
    if (!sizeAllowed(req.tier, req.width, req.height)) {
      ctx.addIssue({
        code: "custom",
        path: ["width"],
        message: `${req.width}x${req.height} is not a ${req.tier} size; use one of ${spec.sizes.join(", ")}`,
      });
    }
    if (req.steps < spec.minSteps || req.steps > spec.maxSteps) {
      ctx.addIssue({
        code: "custom",
        path: ["steps"],
        message: `${req.tier} tier takes ${spec.minSteps}–${spec.maxSteps} steps`,
      });
    }
    if (!spec.schedulers.includes(req.scheduler)) {
      ctx.addIssue({
        code: "custom",
        path: ["scheduler"],
        message: `${req.tier} tier supports ${spec.schedulers.join(", ")}`,
      });
    }
    if (req.resume && req.resume.from_step >= req.steps) {
      ctx.addIssue({
        code: "custom",
        path: ["resume", "from_step"],
        message: "must be below steps",
      });
    }
    if (req.guidance_scale > spec.maxGuidance) {
      ctx.addIssue({
        code: "custom",
        path: ["guidance_scale"],
        message: `${req.tier} tier allows guidance_scale up to ${spec.maxGuidance}`,
      });
    }
  });

export type GenerateRequest = z.infer<typeof GenerateRequestSchema>;

/** Interactive tiers preview every step (the first preview is the point); others every 4th. */
export function defaultPreviewEvery(tier: GenerateRequest["tier"]): number {
  return tier === "fast" ? 1 : 4;
}
export type GenerateRequestInput = z.input<typeof GenerateRequestSchema>;

/**
 * `nonce`: any value that differs between two calls, so a repeat within the same second (a cancel
 * or an attach retried at once) is not the same signed bytes, which the replay guard refuses.
 */
const nonce = z.string().max(64).optional();

export const CancelRequestSchema = z.strictObject({
  request_id: z.string().min(1).max(128),
  nonce,
});
export type CancelRequest = z.infer<typeof CancelRequestSchema>;

/**
 * `POST /internal/v1/attach`: the events of a detachable streamed run (see `detach_grace_ms`) with
 * SSE ids above `after` (the last id the caller got), then the live ones to its terminal event.
 */
export const AttachRequestSchema = z.strictObject({
  request_id: z.string().min(1).max(128),
  after: z.number().int().min(0),
  nonce,
});
export type AttachRequest = z.infer<typeof AttachRequestSchema>;

export interface GeneratedImage {
  b64: string;
  seed: number;
  sha256: string;
  width: number;
  height: number;
  format: (typeof OUTPUT_FORMATS)[number];
}

export interface StageTimings {
  queue_ms: number;
  text_encode_ms: number;
  denoise_ms: number;
  decode_ms: number;
  postprocess_ms: number;
  total_ms: number;
}

export interface GenerateResponse {
  images: GeneratedImage[];
  metadata: {
    request_id: string;
    region: string;
    model: string;
    model_hash: string;
    tier: string;
    scheduler: string;
    steps: number;
    guidance_scale: number;
    execution_provider: string;
    onnxruntime_version: string;
    /** Present when the origin served less than asked (fewer steps, faster tier), and why. */
    degraded?: string;
    timings: StageTimings;
  };
}
