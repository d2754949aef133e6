// Public: GET /v1/images/{image_id}, the bytes of a `url`-format image, to the tenant that generated it only.
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors/api-error";
import { IMAGE_ID } from "../services/images/image-store";
import { API_KEY_SECURITY, errorResponses, newRouter } from "./router";

/** The bytes never change under an id (the id is their content hash), so a private cache may keep
 *  them for a year; `private` because they are one tenant's, fetched with its key. */
const CACHE_CONTROL = "private, max-age=31536000, immutable";

const ImageParams = z.object({
  image_id: z
    .string()
    .openapi({ pattern: IMAGE_ID.source, example: "img_0123456789ABCDEFGHIJklmn" }),
});

/**
 * Routed for image-shaped ids only (Hono's `:name{pattern}`), so /v1/images/generations and
 * /v1/images/jobs are never taken for an image: GET there finds no route and answers 405. Any other
 * id of the wrong shape finds no route either: 404, never a validation error.
 */
const IMAGE_ID_PATTERN = IMAGE_ID.source.slice(1, -1); // Hono anchors it itself: no ^ or $
const ROUTED_PATH: `/v1/images/:image_id{${string}}` = `/v1/images/:image_id{${IMAGE_ID_PATTERN}}`;

const getImage = createRoute({
  method: "get",
  path: "/v1/images/{image_id}",
  summary: "Download a generated image",
  description:
    "Served only to the tenant that generated it; any other caller gets 404, as for an unknown id.",
  security: API_KEY_SECURITY,
  request: { params: ImageParams },
  responses: {
    200: {
      description: "The image bytes; ETag is their SHA-256",
      content: {
        "image/png": { schema: z.string().openapi({ format: "binary" }) },
        "image/webp": { schema: z.string().openapi({ format: "binary" }) },
        "image/jpeg": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    304: { description: "Not modified (If-None-Match matched the ETag)" },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

const notFound = () => new ApiError("not_found", "No such image.", { param: "image_id" });

export const v1Images = newRouter();
v1Images.openAPIRegistry.registerPath(getImage);
v1Images.get(ROUTED_PATH, async (c) => {
  const imageId = c.req.param("image_id");
  const image = await c.var.services.images.get(c.var.auth.tenantId, imageId);
  if (!image) throw notFound();
  const etag = `"${image.sha256}"`;
  const headers = {
    "cache-control": CACHE_CONTROL,
    etag,
    "x-content-type-options": "nosniff",
  };
  if (matchesEtag(c.req.header("if-none-match"), image.sha256)) return c.body(null, 304, headers);
  return c.body(image.body, 200, {
    ...headers,
    "content-type": image.contentType,
    "content-length": String(image.size),
  });
});

/** If-None-Match per RFC 9110: `*`, or a list of tags compared weakly (a W/ prefix is ignored). */
function matchesEtag(header: string | undefined, sha256: string): boolean {
  if (!header || !sha256) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === `"${sha256}"`);
}
