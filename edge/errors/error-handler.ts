// Renders every failure in ARCHITECTURE's error shape with the request id; unknown errors become a logged 500.
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { type ErrorCode, errorBody } from "../../protocol/errors";
import type { AppEnv } from "../env";
import { ApiError } from "./api-error";

/** Hono's own exceptions (malformed JSON, media-type gate) mapped onto the closed code set. */
const HTTP_EXCEPTION_CODE: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  401: "invalid_api_key",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export function renderError(c: Context<AppEnv>, error: ApiError): Response {
  // The audit draft is absent only if a failure happens before the audit middleware ran.
  c.get("audit")?.note({ errorCode: error.code });
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  const body = errorBody(error.code, error.message, error.param, c.get("requestId") ?? null);
  return c.json(body, error.status);
}

function fromHttpException(error: HTTPException): ApiError | null {
  const code = HTTP_EXCEPTION_CODE[error.status];
  if (!code) return null;
  const message =
    error.status === 400 ? "We could not parse the JSON body of your request." : error.message;
  return new ApiError(code, message);
}

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) return renderError(c, error);
  if (error instanceof HTTPException) {
    const mapped = fromHttpException(error);
    if (mapped) return renderError(c, mapped);
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "unhandled error",
      request_id: c.get("requestId") ?? null,
      error: error.name,
      message: error.message,
      stack: error.stack,
    }),
  );
  return renderError(
    c,
    new ApiError("internal_error", "The server had an error processing your request."),
  );
};

/**
 * A request no route answered: 405 with Allow when routes take its path under other methods,
 * else 404. `allowedMethods` searches the routes again, so only a request that missed pays for it.
 */
export function notFound(
  allowedMethods: (path: string) => readonly string[] = () => [],
): NotFoundHandler<AppEnv> {
  return function notFound(c) {
    const { method, path } = c.req;
    const shown = path.slice(0, 200);
    const allowed = allowedMethods(path);
    if (allowed.length > 0 && !allowed.includes(method)) {
      const allow = allowed.join(", ");
      const message = `${method} is not allowed on ${shown}; it takes ${allow}.`;
      return renderError(c, new ApiError("method_not_allowed", message, { headers: { allow } }));
    }
    return renderError(c, new ApiError("not_found", `No route for ${method} ${shown}.`));
  };
}

/** zod-openapi's defaultHook: every validation failure goes through the one error class. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError },
): void {
  if (!result.success) throw ApiError.fromZod(result.error);
}
