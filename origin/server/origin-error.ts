// The origin's one error class: a protocol code plus message and field, rendered in the shared shape.
import { type ErrorCode, errorBody, statusOf } from "../../protocol/errors";

export class OriginError extends Error {
  override name = "OriginError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly param: string | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }

  get status() {
    return statusOf(this.code);
  }

  body(requestId: string | null) {
    return errorBody(this.code, this.message, this.param, requestId);
  }
}
