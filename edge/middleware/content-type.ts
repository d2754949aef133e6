// Rejects a request body that is not JSON with 415, before validation sees it.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";

const JSON_MEDIA = /^application\/(?:[\w.-]+\+)?json$/i;

function hasBody(headers: Headers, body: ReadableStream | null): boolean {
  const length = headers.get("content-length");
  if (length !== null) return length.trim() !== "0";
  return body !== null;
}

export function jsonContentType() {
  return createMiddleware<AppEnv>(async function jsonContentType(c, next) {
    if (hasBody(c.req.raw.headers, c.req.raw.body)) {
      const media = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
      if (!JSON_MEDIA.test(media)) {
        throw new ApiError(
          "unsupported_media_type",
          "Request bodies must be JSON (Content-Type: application/json).",
        );
      }
    }
    await next();
  });
}
