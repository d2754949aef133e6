// Schemas of POST /v1/images/generations: OpenAI's CreateImageRequest fields plus darkroom's extensions.
import { z } from "@hono/zod-openapi";
import { isWellFormed, MAX_IMAGES, MAX_PROMPT_CHARS, UINT32_MAX } from "../../protocol/generate";
import { OUTPUT_FORMATS, SCHEDULERS, TIERS } from "../../protocol/tiers";
import { OPENAI_QUALITIES } from "../services/generation/generation-plan";

/** OpenAI's bound on `partial_images`. */
export const MAX_PARTIAL_IMAGES = 3;

const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine(isWellFormed, "must be well-formed Unicode (unpaired surrogate found)");

/** A documented OpenAI field darkroom cannot honour: a 400 naming it, never silently ignored. */
const notHonoured = (reason: string) =>
  z
    .unknown()
    .refine((value) => value === null || value === undefined, reason)
    .optional()
    .openapi({ description: `${reason}; only null is accepted.` });

/** The fields every image request shares, sync or async; each route adds its own on top. */
export const imageRequestFields = {
  prompt: text(MAX_PROMPT_CHARS).min(1, "must not be empty"),
  model: z.string().min(1).max(128).nullish().openapi({
    description: 'A model id from GET /v1/models, or "default" (the default).',
  }),
  n: z.number().int().min(1).max(MAX_IMAGES).nullish(),
  size: z
    .string()
    .regex(/^(auto|\d{2,4}x\d{2,4})$/, "must be 'auto' or 'WIDTHxHEIGHT', e.g. '512x512'")
    .nullish()
    .openapi({ description: "One of the tier's sizes; 'auto' or unset means 512x512." }),
  quality: z.enum(OPENAI_QUALITIES).nullish().openapi({
    description: "low → fast tier; medium/standard/auto → quality; high/hd → quality, more steps.",
  }),
  response_format: z.enum(["b64_json", "url"]).nullish().openapi({
    description: "b64_json (the default) or url: a link to GET /v1/images/{image_id}.",
  }),
  output_format: z.enum(OUTPUT_FORMATS).nullish(),
  output_compression: notHonoured(
    "not supported (darkroom encodes png losslessly, webp at quality 90, jpeg at quality 92)",
  ),
  user: z.string().max(256).nullish(),
  moderation: z.enum(["auto", "low"]).nullish().openapi({
    description: "Accepted; darkroom's safety prefilter always runs, and 'low' does not relax it.",
  }),
  background: z
    .enum(["auto", "opaque", "transparent"])
    .nullish()
    .refine(
      (value) => value !== "transparent",
      "darkroom cannot honour 'transparent': its images are always opaque; use 'auto' or 'opaque'",
    ),
  style: notHonoured("not supported (darkroom has no dall-e-3 style control)"),
  seed: z.number().int().min(0).max(UINT32_MAX).nullish(),
  steps: z.number().int().min(1).max(1000).nullish().openapi({
    description: "Within the tier's range: fast 1–4, quality and batch 8–50.",
  }),
  guidance_scale: z.number().min(0).max(30).nullish(),
  negative_prompt: text(MAX_PROMPT_CHARS).nullish(),
  scheduler: z.enum(SCHEDULERS).nullish(),
};

// OpenAI's own API treats null as "unset", and its SDKs may send it: every optional field takes null.
export const CreateImageRequestSchema = z
  .strictObject({
    ...imageRequestFields,
    stream: z
      .boolean()
      .nullish()
      .openapi({
        description:
          "true: answer with Server-Sent Events (`image_generation.partial_image`, then " +
          "`image_generation.completed` per image) as OpenAI's streaming image API does.",
      }),
    partial_images: z.number().int().min(0).max(MAX_PARTIAL_IMAGES).nullish().openapi({
      description: "With stream: true, how many previews to send before the final image (0–3).",
    }),
    tier: z
      .enum(TIERS)
      .nullish()
      .refine(
        (value) => value !== "batch",
        "the batch tier is only available through async jobs (/v1/images/jobs)",
      )
      .openapi({ description: "fast or quality; wins over `quality`. batch: jobs only." }),
  })
  .superRefine((body, ctx) => {
    // OpenAI only reads partial_images on a streamed request: silently ignoring it would mislead.
    if (body.partial_images != null && body.stream !== true) {
      ctx.addIssue({
        code: "custom",
        path: ["partial_images"],
        message: "only applies with stream: true",
      });
    }
  })
  .openapi("CreateImageRequest");

/** Printable ASCII without spaces or commas (a comma is what two joined duplicate headers show). */
export const IdempotencyHeadersSchema = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[A-Za-z0-9._:/+=@-]{1,255}$/, "must be 1–255 characters of [A-Za-z0-9._:/+=@-]")
    .optional()
    .openapi({
      description: "Replays the stored response of the first request with this key (24 h).",
    }),
});

export type CreateImageRequest = z.infer<typeof CreateImageRequestSchema>;

const GeneratedImageSchema = z
  .object({
    b64_json: z.string().optional(),
    url: z.string().optional(),
    seed: z.number().int(),
    revised_prompt: z.string().optional().openapi({
      description: "Present when Unicode cleaning changed the prompt: the text the model saw.",
    }),
  })
  .openapi("GeneratedImage");

export const ImagesResponseSchema = z
  .object({
    created: z.number().int(),
    data: z.array(GeneratedImageSchema),
    darkroom: z.object({
      request_id: z.string(),
      region: z.string(),
      tier: z.string(),
      model: z.string(),
      model_hash: z.string(),
      size: z.string(),
      steps: z.number().int(),
      scheduler: z.string(),
      guidance_scale: z.number(),
      timings: z.record(z.string(), z.number()),
    }),
  })
  .openapi("ImagesResponse");

export type ImagesResponse = z.infer<typeof ImagesResponseSchema>;
