// What the client gets for each generated image: base64 inline, or a URL to bytes kept in R2 for its tenant.
import type { GenerateResponse } from "../../../protocol/generate";
import { decodeBase64, type ImageStore } from "../images/image-store";
import type { GenerationPlan } from "./generation-plan";

export interface DeliveredImage {
  readonly b64_json?: string;
  readonly url?: string;
  readonly seed: number;
  /** Present when Unicode cleaning changed the prompt: the text the model actually saw. */
  readonly revised_prompt?: string;
}

export interface DeliveryOptions {
  readonly plan: GenerationPlan;
  readonly tenantId: string;
  readonly images: ImageStore;
  /** The scheme and host the client called, so the URL works wherever the edge is reached. */
  readonly urlBase: string;
}

export function deliverImages(options: DeliveryOptions) {
  const { plan, tenantId, images, urlBase } = options;
  const revised = plan.cleanedPrompt !== plan.prompt ? { revised_prompt: plan.cleanedPrompt } : {};
  return async function deliver(response: GenerateResponse): Promise<DeliveredImage[]> {
    const generated = response.images.slice(0, plan.n);
    if (plan.responseFormat === "b64_json") {
      return generated.map((image) => ({ b64_json: image.b64, seed: image.seed, ...revised }));
    }
    return Promise.all(
      generated.map(async (image) => {
        const bytes = decodeBase64(image.b64);
        const id = await images.put(tenantId, bytes, {
          sha256: image.sha256,
          format: image.format,
        });
        return { url: `${urlBase}/v1/images/${id}`, seed: image.seed, ...revised };
      }),
    );
  };
}
