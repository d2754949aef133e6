// Turns a validated OpenAI-style image request into a plan: tier, size, steps, guidance, scheduler, cost.
import { MAX_PROMPT_CHARS, UINT32_MAX } from "../../../protocol/generate";
import {
  type OutputFormat,
  parseSize,
  type SchedulerName,
  sizeAllowed,
  TIER_SPECS,
  type Tier,
} from "../../../protocol/tiers";
import { normalizePrompt } from "../../safety";
import { DEFAULT_MODEL_ALIAS, isKnownModel } from "../models/model-catalog";
import { costUnitsPerImage } from "../tenant-gate/cost";

export const OPENAI_QUALITIES = ["low", "medium", "standard", "auto", "high", "hd"] as const;
export type OpenAiQuality = (typeof OPENAI_QUALITIES)[number];

/** ARCHITECTURE's mapping; an explicit `tier` wins over it. */
const QUALITY_TIER: Record<OpenAiQuality, Tier> = {
  low: "fast",
  medium: "quality",
  standard: "quality",
  auto: "quality",
  high: "quality",
  hd: "quality",
};
const HIGH_QUALITY: ReadonlySet<string> = new Set(["high", "hd"]);

/** An absent or "auto" size, in every tier: the native resolution of SD 1.x and SD-Turbo. */
export const DEFAULT_SIZE = "512x512";

/** What the plan reads from the request; null means unset, as it does for OpenAI's API. */
export interface ImageRequestFields {
  readonly prompt: string;
  readonly model?: string | null;
  readonly n?: number | null;
  readonly size?: string | null;
  readonly quality?: OpenAiQuality | null;
  readonly response_format?: "b64_json" | "url" | null;
  readonly output_format?: OutputFormat | null;
  readonly user?: string | null;
  readonly moderation?: "auto" | null;
  readonly seed?: number | null;
  readonly steps?: number | null;
  readonly guidance_scale?: number | null;
  readonly negative_prompt?: string | null;
  readonly scheduler?: SchedulerName | null;
  readonly tier?: Tier | null;
}

export interface GenerationPlan {
  readonly tier: Tier;
  /** As sent to the origin: a catalog id, or "default" for whatever the origin serves. */
  readonly model: string;
  readonly prompt: string;
  /** What the safety prefilter judged and what the model sees: `normalizePrompt(prompt).text`. */
  readonly cleanedPrompt: string;
  readonly negativePrompt: string;
  readonly n: number;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly scheduler: SchedulerName;
  readonly seed: number;
  readonly outputFormat: OutputFormat;
  readonly responseFormat: "b64_json" | "url";
  readonly deadlineMs: number;
  readonly unitsPerImage: number;
}

export type PlanResult =
  | { readonly ok: true; readonly plan: GenerationPlan }
  | {
      readonly ok: false;
      readonly code: "invalid_request" | "tier_not_allowed";
      readonly param: string;
      readonly message: string;
    };

export interface PlanContext {
  readonly allowedTiers: readonly Tier[];
  readonly modelIds: readonly string[];
  readonly randomSeed?: () => number;
  /** Async jobs (/v1/images/jobs) may use the batch tier; synchronous requests never. */
  readonly allowBatch?: boolean;
}

type PlanFailure = Extract<PlanResult, { ok: false }>;

const invalid = (param: string, message: string): PlanFailure => ({
  ok: false,
  code: "invalid_request",
  param,
  message: `Invalid '${param}': ${message}`,
});

const cryptoSeed = () => crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;

export function planGeneration(fields: ImageRequestFields, ctx: PlanContext): PlanResult {
  const tier = resolveTier(fields, ctx.allowedTiers, ctx.allowBatch ?? false);
  if (typeof tier !== "string") return tier;
  const model = fields.model ?? DEFAULT_MODEL_ALIAS;
  if (!isKnownModel(model, ctx.modelIds)) {
    const known = [...ctx.modelIds, DEFAULT_MODEL_ALIAS].join(", ");
    return invalid("model", `the model '${model}' does not exist; use one of ${known}`);
  }
  const dims = resolveSize(fields.size, tier);
  if ("ok" in dims) return dims;
  const cleanedPrompt = cleanPrompt(fields.prompt);
  if (typeof cleanedPrompt !== "string") return cleanedPrompt;
  const sampling = planSampling(fields, tier);
  if (!sampling.ok) return sampling;
  const { steps, guidanceScale, scheduler } = sampling;
  const seed = fields.seed ?? (ctx.randomSeed ?? cryptoSeed)();
  return {
    ok: true,
    plan: {
      tier,
      model,
      prompt: fields.prompt,
      cleanedPrompt,
      negativePrompt: fields.negative_prompt ?? "",
      n: fields.n ?? 1,
      ...dims,
      steps,
      guidanceScale,
      scheduler,
      seed: Math.min(seed, UINT32_MAX),
      outputFormat: fields.output_format ?? "png",
      responseFormat: fields.response_format ?? "b64_json",
      deadlineMs: TIER_SPECS[tier].defaultDeadlineMs,
      unitsPerImage: costUnitsPerImage({ tier, ...dims, steps }),
    },
  };
}

/** The tier a request runs in, refused (batch) or forbidden (not in the tenant's allowed tiers). */
function resolveTier(
  fields: ImageRequestFields,
  allowedTiers: readonly Tier[],
  allowBatch: boolean,
): Tier | PlanFailure {
  const tier = fields.tier ?? QUALITY_TIER[fields.quality ?? "auto"];
  if (tier === "batch" && !allowBatch) {
    return invalid("tier", "the batch tier is only available through async jobs (/v1/images/jobs)");
  }
  if (allowedTiers.includes(tier)) return tier;
  const allowed = allowedTiers.filter((t) => t !== "batch").join(", ") || "none";
  const message = `This API key may not use the ${tier} tier (allowed: ${allowed}).`;
  return { ok: false, code: "tier_not_allowed", param: fields.tier ? "tier" : "quality", message };
}

function resolveSize(
  size: string | null | undefined,
  tier: Tier,
): { width: number; height: number } | PlanFailure {
  const asked = size && size !== "auto" ? size : DEFAULT_SIZE;
  const dims = parseSize(asked);
  if (dims && sizeAllowed(tier, dims.width, dims.height)) return dims;
  const sizes = TIER_SPECS[tier].sizes.join(", ");
  return invalid("size", `${asked} is not a ${tier} size; use one of ${sizes}`);
}

/** Cleaning can empty a prompt (only invisible characters) or lengthen it (NFKC expansions). */
function cleanPrompt(prompt: string): string | PlanFailure {
  const cleaned = normalizePrompt(prompt).text;
  if (cleaned.trim() === "") return invalid("prompt", "must contain visible text");
  if (withinPromptLimit(cleaned)) return cleaned;
  return invalid("prompt", `must be at most ${MAX_PROMPT_CHARS} characters after normalisation`);
}

/** Characters counted as zod's `.max()` counts them here and at the origin: code points, not units. */
function withinPromptLimit(text: string): boolean {
  // A code point is one or two UTF-16 units: only a string over the limit in units needs counting.
  return text.length <= MAX_PROMPT_CHARS || [...text].length <= MAX_PROMPT_CHARS;
}

type Sampling =
  | { ok: true; steps: number; guidanceScale: number; scheduler: SchedulerName }
  | PlanFailure;

/** Explicit steps win; otherwise `quality: high | hd` asks for the tier's high-quality steps. */
function planSampling(fields: ImageRequestFields, tier: Tier): Sampling {
  const spec = TIER_SPECS[tier];
  const highQuality = HIGH_QUALITY.has(fields.quality ?? "");
  const steps = fields.steps ?? (highQuality ? spec.highQualitySteps : spec.defaultSteps);
  if (steps < spec.minSteps || steps > spec.maxSteps) {
    return invalid("steps", `the ${tier} tier takes ${spec.minSteps}–${spec.maxSteps} steps`);
  }
  const guidanceScale = fields.guidance_scale ?? spec.defaultGuidance;
  if (guidanceScale > spec.maxGuidance) {
    return invalid("guidance_scale", `the ${tier} tier allows at most ${spec.maxGuidance}`);
  }
  const scheduler = fields.scheduler ?? spec.defaultScheduler;
  if (!spec.schedulers.includes(scheduler)) {
    return invalid("scheduler", `the ${tier} tier supports ${spec.schedulers.join(", ")}`);
  }
  return { ok: true, steps, guidanceScale, scheduler };
}
