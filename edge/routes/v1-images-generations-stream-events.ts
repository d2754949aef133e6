// Maps origin progress events onto OpenAI's image stream: partial_image per preview, completed per image, error.
import type { GenerationEvent } from "../../protocol/events";
import type { GenerationPlan } from "../services/generation/generation-plan";
import type { CreateImageRequest } from "./v1-images-generations-schema";

export interface StreamShape {
  readonly plan: GenerationPlan;
  readonly body: CreateImageRequest;
  /** At most this many partial images are sent. */
  readonly partials: number;
  readonly requestId: string;
  /** The region of the origin running it now (it changes when a draining origin hands it on). */
  region: string;
}

export interface StreamMessage {
  readonly event: string;
  readonly data: string;
}

/** OpenAI's event `size` enum has only its own sizes; any other is reported as "auto". */
const OPENAI_SIZES = new Set(["1024x1024", "1024x1536", "1536x1024"]);
const OPENAI_QUALITY: Record<string, "low" | "medium" | "high" | "auto"> = {
  low: "low",
  medium: "medium",
  standard: "medium",
  high: "high",
  hd: "high",
  auto: "auto",
};

/** darkroom does not count tokens; OpenAI's client requires the object, so it comes zeroed. */
const NO_TOKENS = {
  total_tokens: 0,
  input_tokens: 0,
  output_tokens: 0,
  input_tokens_details: { text_tokens: 0, image_tokens: 0 },
};

/** Returns a mapper that keeps count of the partial images sent so far. */
export function openAiStreamEvents(shape: StreamShape) {
  const { plan, body } = shape;
  const size = `${plan.width}x${plan.height}`;
  const common = {
    size: OPENAI_SIZES.has(size) ? size : "auto",
    quality: OPENAI_QUALITY[body.quality ?? "auto"] ?? "auto",
    background: body.background ?? "auto",
  };
  let partialIndex = 0;
  const message = (event: string, data: object): StreamMessage => ({
    event,
    data: JSON.stringify({ type: event, ...data }),
  });
  return function map(event: GenerationEvent): StreamMessage[] {
    const created_at = Math.floor(Date.now() / 1000);
    switch (event.event) {
      case "progress": {
        const preview = event.data.preview;
        if (!preview || partialIndex >= shape.partials) return [];
        const index = partialIndex++;
        return [
          message("image_generation.partial_image", {
            b64_json: preview.b64,
            created_at,
            ...common,
            // A preview's own encoding (a small latent projection), not necessarily output_format.
            output_format: preview.format,
            partial_image_index: index,
          }),
        ];
      }
      case "completed":
        return event.data.images.slice(0, plan.n).map((image, index) =>
          message("image_generation.completed", {
            b64_json: image.b64,
            created_at,
            ...common,
            output_format: image.format,
            usage: NO_TOKENS,
            darkroom: {
              request_id: shape.requestId,
              region: shape.region,
              index,
              seed: image.seed,
              steps: event.data.metadata.steps,
              model: event.data.metadata.model,
            },
          }),
        );
      case "failed":
        // OpenAI's client throws an APIError for any event whose data carries `error`.
        return [
          {
            event: "error",
            data: JSON.stringify({ error: { ...event.data.error, request_id: shape.requestId } }),
          },
        ];
      case "canceled":
        return [
          {
            event: "error",
            data: JSON.stringify({
              error: {
                message: "The generation was canceled before it finished; nothing was charged.",
                type: "server_error",
                param: null,
                code: "upstream_error",
                request_id: shape.requestId,
              },
            }),
          },
        ];
      default:
        return [];
    }
  };
}
