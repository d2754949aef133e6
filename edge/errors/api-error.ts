// The edge's one error class: a code from protocol's closed set, its status fixed by ERROR_STATUS.

import type { ZodError } from "zod";
import {
  describeZodError,
  type ErrorCode,
  type ErrorStatus,
  statusOf,
} from "../../protocol/errors";

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: ErrorCode;
  readonly param: string | null;
  /** Extra response headers, e.g. `Retry-After` on 429/503. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { param?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  get status(): ErrorStatus {
    return statusOf(this.code);
  }

  /** A validation failure: 400 invalid_request naming the offending field. */
  static fromZod(error: ZodError): ApiError {
    const { message, param } = describeZodError(error);
    return new ApiError("invalid_request", message, { param });
  }
}
