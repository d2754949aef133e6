// What the client gets for each generated image: base64 inline, or a URL to bytes kept in R2 for its tenant.
import type { GeneratedImage, GenerateResponse } from "../../../protocol/generate";
import { toHex } from "../../../protocol/signing";
import { ApiError } from "../../errors/api-error";
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
    // Inline images pass through as the origin encoded them: decoding and hashing each would cost
    // the default format ~0.35 ms per 256² image on every request, against a signed origin of ours
    // behind TLS. Stored ones are decoded anyway; checked before any is stored, so an origin's
    // garbage is its failure (502), not a 500 from R2.
    if (plan.responseFormat === "b64_json") {
      return generated.map((image) => ({ b64_json: image.b64, seed: image.seed, ...revised }));
    }
    const bytes = await Promise.all(generated.map(verifiedBytes));
    if (!bytes.every((b): b is Uint8Array => b !== null)) throw unusableImage();
    return Promise.all(
      generated.map(async (image, i) => {
        const id = await images.put(tenantId, bytes[i]!, {
          sha256: image.sha256,
          format: image.format,
        });
        return { url: `${urlBase}/v1/images/${id}`, seed: image.seed, ...revised };
      }),
    );
  };
}

/** The image's bytes, or null when they are not base64 or not what its sha256 says. */
async function verifiedBytes(image: GeneratedImage): Promise<Uint8Array | null> {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(image.b64);
  } catch {
    return null;
  }
  const digest = toHex(await crypto.subtle.digest("SHA-256", bytes));
  return digest === image.sha256 ? bytes : null;
}

/** Thrown, not returned: the generation charges only what `deliver` returns, so a throw refunds all. */
function unusableImage(): ApiError {
  return new ApiError(
    "upstream_error",
    "The region answered with an image that could not be used. Nothing was charged.",
  );
}
