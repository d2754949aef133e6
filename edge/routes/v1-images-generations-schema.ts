// Schemas of POST /v1/images/generations: OpenAI's CreateImageRequest fields plus darkroom's extensions.
import { z } from "@hono/zod-openapi";
import { isWellFormed, MAX_IMAGES, MAX_PROMPT_CHARS, UINT32_MAX } from "../../protocol/generate";
import { OUTPUT_FORMATS, SCHEDULERS, TIER_SPECS, TIERS } from "../../protocol/tiers";
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
  // A null literal, so the document says what validation does: `enum: [null]`, null only.
  z
    .literal(null, { error: reason })
    .optional()
    .openapi({ description: `${reason}; only null is accepted.` });

/** An OpenAI enum cut to the values darkroom honours; `refused` maps each other value to why. */
export const honouredEnum = <const T extends readonly [string, ...string[]]>(
  values: T,
  refused: Readonly<Record<string, string>>,
) =>
  z.enum(values, {
    error: ({ input }) =>
      typeof input === "string" && Object.hasOwn(refused, input) ? refused[input] : undefined,
  });

/** The widest steps range of any tier; the plan checks the chosen tier's own range. */
const STEPS_MIN = Math.min(...TIERS.map((tier) => TIER_SPECS[tier].minSteps));
const STEPS_MAX = Math.max(...TIERS.map((tier) => TIER_SPECS[tier].maxSteps));
const STEPS_BY_TIER = TIERS.map(
  (tier) => `${tier} ${TIER_SPECS[tier].minSteps}–${TIER_SPECS[tier].maxSteps}`,
).join(", ");

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
  response_format: z
    .enum(["b64_json", "url"])
    .nullish()
    .openapi({
      description:
        "b64_json (the default) or url: a link to GET /v1/images/{image_id}. " +
        "With stream: true only b64_json (the stream carries the images themselves).",
    }),
  output_format: z.enum(OUTPUT_FORMATS).nullish(),
  output_compression: notHonoured(
    "not supported (darkroom encodes png losslessly, webp at quality 90, jpeg at quality 92)",
  ),
  user: z.string().max(256).nullish(),
  moderation: honouredEnum(["auto"], {
    low: "darkroom's moderation is fixed: its safety prefilter always runs, so 'low' cannot be honoured; use 'auto' or leave it out",
  })
    .nullish()
    .openapi({ description: "auto only: darkroom's safety prefilter always runs." }),
  background: honouredEnum(["auto", "opaque"], {
    transparent:
      "darkroom cannot honour 'transparent': its images are always opaque; use 'auto' or 'opaque'",
  }).nullish(),
  style: notHonoured("not supported (darkroom has no dall-e-3 style control)"),
  seed: z.number().int().min(0).max(UINT32_MAX).nullish(),
  steps: z
    .number()
    .int()
    .min(STEPS_MIN)
    .max(STEPS_MAX)
    .nullish()
    .openapi({
      description: `Within the tier's range: ${STEPS_BY_TIER}.`,
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
    // A stream carries the images themselves (OpenAI streams b64_json only): no URL to honour.
    if (body.stream === true && body.response_format === "url") {
      ctx.addIssue({
        code: "custom",
        path: ["response_format"],
        message:
          "darkroom cannot honour 'url' with stream: true: streamed images always come as b64_json; use 'b64_json' or leave it out, or drop stream for URLs",
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
