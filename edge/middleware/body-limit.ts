// Rejects bodies over the limit with 413 before anything parses them (Content-Length or counted stream).
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";

export const MAX_BODY_BYTES = 64 * 1024;

export function bodyLimit(maxBytes = MAX_BODY_BYTES) {
  // Hono's limiter trusts Content-Length (the runtime enforces it) and otherwise stops reading at the
  // limit, so an endless chunked body costs at most maxBytes of memory.
  const limiter = honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("payload_too_large", `Request body exceeds ${maxBytes} bytes.`);
    },
  });
  return createMiddleware<AppEnv>(async function bodyLimit(c, next) {
    await limiter(c, next);
  });
}
