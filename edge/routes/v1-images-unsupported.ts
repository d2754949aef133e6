// OpenAI Images endpoints darkroom does not implement (edits, variations): a plain 404 saying so, to anyone.
import { ApiError } from "../errors/api-error";
import { newRouter } from "./router";

/** What the openai client's `images.edit` and `images.createVariation` call, with multipart uploads. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  "/v1/images/edits": "image edits",
  "/v1/images/variations": "image variations",
};

/**
 * Mounted ahead of the body limit, the JSON-only gate and auth: an upload would otherwise meet 413,
 * 415 or 401 first, none of which tells the caller that the endpoint is missing here. The answer is
 * the same with or without a key, and names nothing beyond the public API.
 */
export const v1ImagesUnsupported = newRouter();
for (const [path, what] of Object.entries(UNSUPPORTED)) {
  v1ImagesUnsupported.all(path, () => {
    throw new ApiError(
      "not_found",
      `${path} is not supported by darkroom: it has no ${what}. ` +
        "Generate from a prompt with POST /v1/images/generations or POST /v1/images/jobs.",
    );
  });
}
