// The closed set of error codes shared by edge and origin, their one HTTP status each, and the wire shape.
import { z } from "zod";

/** Every code either side may put on the wire, with the one status it maps to. */
export const ERROR_STATUS = {
  invalid_request: 400,
  content_policy_violation: 400,
  missing_api_key: 401,
  invalid_api_key: 401,
  invalid_signature: 401,
  tier_not_allowed: 403,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  idempotency_conflict: 409,
  /** The resource already exists (e.g. POST /admin/origins for a registered region). */
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  concurrency_limit: 429,
  overloaded: 429,
  internal_error: 500,
  upstream_error: 502,
  no_capacity: 503,
  not_ready: 503,
  deadline_exceeded: 504,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

/** OpenAI's `error.type` vocabulary, so OpenAI clients classify our errors as they do theirs. */
const ERROR_TYPE: Record<ErrorStatus, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "invalid_request_error",
  405: "invalid_request_error",
  409: "invalid_request_error",
  413: "invalid_request_error",
  415: "invalid_request_error",
  429: "rate_limit_error",
  500: "server_error",
  502: "server_error",
  503: "server_error",
  504: "server_error",
};

export function statusOf(code: ErrorCode): ErrorStatus {
  return ERROR_STATUS[code];
}

export function typeOf(code: ErrorCode): string {
  return ERROR_TYPE[ERROR_STATUS[code]];
}

export const ErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
    request_id: z.string().nullable(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export function errorBody(
  code: ErrorCode,
  message: string,
  param: string | null = null,
  requestId: string | null = null,
): ErrorBody {
  return { error: { message, type: typeOf(code), param, code, request_id: requestId } };
}

/** A zod failure as one client-facing message plus the offending field's dotted path. */
export function describeZodError(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  if (!issue) return { message: "Invalid request.", param: null };
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  const path = [...issue.path, ...keys.slice(0, 1)].map(String).join(".");
  const param = path.length > 0 ? path : null;
  const message =
    issue.code === "unrecognized_keys"
      ? `Unrecognized request argument supplied: ${keys.join(", ")}`
      : `Invalid '${param ?? "body"}': ${issue.message}`;
  return { message, param };
}
