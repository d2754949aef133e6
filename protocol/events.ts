// Progress events of one generation (origin SSE, edge job stream): schemas, the SSE wire form, a parser.
import { z } from "zod";
import { ErrorBodySchema } from "./errors";
import type { GenerateResponse } from "./generate";
import { OUTPUT_FORMATS } from "./tiers";

export const PREVIEW_FORMATS = ["webp", "jpeg", "png"] as const;

export const PreviewSchema = z.object({
  format: z.enum(PREVIEW_FORMATS),
  b64: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type Preview = z.infer<typeof PreviewSchema>;

const StageTimingsSchema = z.object({
  queue_ms: z.number(),
  text_encode_ms: z.number(),
  denoise_ms: z.number(),
  decode_ms: z.number(),
  postprocess_ms: z.number(),
  total_ms: z.number(),
});

/** The JSON response of POST /internal/v1/generate, which is also the `completed` event's body. */
export const GenerateResponseSchema: z.ZodType<GenerateResponse> = z.object({
  // At least one: a `completed` without images would end a stream with neither an image nor an
  // error; refused here, the reader skips it and the stream ends `failed` (origin-stream.ts).
  images: z
    .array(
      z.object({
        b64: z.string(),
        seed: z.number().int(),
        sha256: z.string(),
        width: z.number().int(),
        height: z.number().int(),
        format: z.enum(OUTPUT_FORMATS),
      }),
    )
    .min(1),
  metadata: z.object({
    request_id: z.string(),
    region: z.string(),
    model: z.string(),
    model_hash: z.string(),
    tier: z.string(),
    scheduler: z.string(),
    steps: z.number().int(),
    guidance_scale: z.number(),
    execution_provider: z.string(),
    onnxruntime_version: z.string(),
    degraded: z.string().optional(),
    timings: StageTimingsSchema,
  }),
});

export const QueuedEventSchema = z.object({
  request_id: z.string(),
  /** 1-based place among queued jobs when it was admitted. */
  position: z.number().int().min(1),
});
export const StartedEventSchema = z.object({ request_id: z.string() });
export const ProgressEventSchema = z.object({
  request_id: z.string(),
  /** Steps done so far, 1..steps (a resumed job starts above 1). */
  step: z.number().int().min(1),
  steps: z.number().int().min(1),
  /** The first image's current latent, projected to RGB: present every `preview_every` steps. */
  preview: PreviewSchema.optional(),
});
export const CompletedEventSchema = GenerateResponseSchema;
export const FailedEventSchema = z.object({ error: ErrorBodySchema.shape.error });
export const CanceledEventSchema = z.object({ request_id: z.string() });

export const EVENT_SCHEMAS = {
  queued: QueuedEventSchema,
  started: StartedEventSchema,
  progress: ProgressEventSchema,
  completed: CompletedEventSchema,
  failed: FailedEventSchema,
  canceled: CanceledEventSchema,
} as const;

export type GenerationEventName = keyof typeof EVENT_SCHEMAS;
export const TERMINAL_EVENTS = ["completed", "failed", "canceled"] as const;
export type TerminalEventName = (typeof TERMINAL_EVENTS)[number];

export type GenerationEvent = {
  [K in GenerationEventName]: { event: K; data: z.infer<(typeof EVENT_SCHEMAS)[K]> };
}[GenerationEventName];

export function isTerminal(name: string): name is TerminalEventName {
  return (TERMINAL_EVENTS as readonly string[]).includes(name);
}

/** One SSE message as on the wire: ids count up from 1 per request, so `Last-Event-ID` can resume. */
export interface SseMessage {
  id: number;
  event: string;
  data: string;
}

/** Renders one message in the wire form (`id:`, `event:`, `data:` lines, then a blank line). */
export function formatSse(message: SseMessage): string {
  return `id: ${message.id}\nevent: ${message.event}\ndata: ${message.data}\n\n`;
}

/**
 * Splits complete SSE text into messages (comments and unknown fields ignored, multi-line data
 * joined with "\n"), as the EventSource spec reads them. A trailing message without its blank
 * line is incomplete and returned in `rest`, so a caller can feed chunks as they arrive.
 */
export function parseSse(text: string): { messages: SseMessage[]; rest: string } {
  const normalized = text.replace(/\r\n?/g, "\n");
  const blocks = normalized.split("\n\n");
  const rest = blocks.pop() ?? "";
  const messages: SseMessage[] = [];
  for (const block of blocks) {
    let id = Number.NaN;
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      const colon = line.indexOf(":");
      if (colon === 0 || line === "") continue;
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = Number(value);
      else if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) messages.push({ id, event, data: data.join("\n") });
  }
  return { messages, rest };
}

/** Validates one message against its event's schema; null for an unknown name or a bad body. */
export function parseGenerationEvent(message: SseMessage): GenerationEvent | null {
  if (!(message.event in EVENT_SCHEMAS)) return null;
  const name = message.event as GenerationEventName;
  let json: unknown;
  try {
    json = JSON.parse(message.data);
  } catch {
    return null;
  }
  const parsed = EVENT_SCHEMAS[name].safeParse(json);
  return parsed.success ? ({ event: name, data: parsed.data } as GenerationEvent) : null;
}
