// Reads an origin's answer to POST /internal/v1/generate: the success body, or its error envelope.
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../../../protocol/errors";
import type { GenerateResponse } from "../../../protocol/generate";
import { OUTPUT_FORMATS } from "../../../protocol/tiers";

const count = z.number().nonnegative();

/** Only what the edge relies on is checked; extra metadata passes through untouched. */
const GenerateResponseSchema = z.object({
  images: z
    .array(
      z.object({
        b64: z.string().min(1),
        seed: z.number().int().nonnegative(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
        width: z.number().int().positive(),
        height: z.number().int().positive(),
        format: z.enum(OUTPUT_FORMATS),
      }),
    )
    .min(1),
  metadata: z.looseObject({
    request_id: z.string(),
    region: z.string(),
    model: z.string(),
    model_hash: z.string(),
    tier: z.string(),
    scheduler: z.string(),
    steps: z.number(),
    guidance_scale: z.number(),
    execution_provider: z.string(),
    onnxruntime_version: z.string(),
    timings: z.object({
      queue_ms: count,
      text_encode_ms: count,
      denoise_ms: count,
      decode_ms: count,
      postprocess_ms: count,
      total_ms: count,
    }),
  }),
});

const OriginErrorSchema = z.object({
  error: z.object({
    message: z.string(),
    code: z.string(),
    param: z.string().nullable().optional(),
  }),
});

export function readGenerateResponse(json: unknown): GenerateResponse | null {
  const parsed = GenerateResponseSchema.safeParse(json);
  return parsed.success ? (parsed.data as GenerateResponse) : null;
}

export interface OriginErrorBody {
  readonly code: ErrorCode | null;
  readonly message: string;
  readonly param: string | null;
}

/** An unknown or missing code is kept as null: the edge never forwards a code outside its set. */
export function readOriginError(json: unknown): OriginErrorBody {
  const parsed = OriginErrorSchema.safeParse(json);
  if (!parsed.success) return { code: null, message: "", param: null };
  const { code, message, param } = parsed.data.error;
  const known = (ERROR_CODES as string[]).includes(code) ? (code as ErrorCode) : null;
  return { code: known, message, param: param ?? null };
}

/** Whole seconds from a Retry-After header (delta-seconds form only); null when absent or odd. */
export function retryAfterSeconds(header: string | null): number | null {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return null;
  return Number(header.trim());
}
