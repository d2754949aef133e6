// How a job that could not finish says why: each failure value → one error body in the documented shape.
import { type ErrorCode, errorBody } from "../../../protocol/errors";
import type { DispatchFailure } from "../origins/origin-dispatch";
import type { JobError } from "./job-spec";

export type JobFailure =
  | DispatchFailure
  /** Something the edge itself could not do (store the images, keep the runner alive). */
  | { readonly kind: "internal"; readonly code: ErrorCode; readonly message: string };

export function failureAsJobError(failure: JobFailure, requestId: string): JobError {
  const [code, message, param] = describe(failure);
  return errorBody(code, message, param, requestId).error;
}

function describe(failure: JobFailure): [ErrorCode, string, string | null] {
  switch (failure.kind) {
    case "internal":
      return [failure.code, failure.message, null];
    case "no_capacity":
      return ["no_capacity", "No region could take the job; nothing was charged.", null];
    case "upstream_error":
      return [
        "upstream_error",
        `Region ${failure.region} failed before the generation started; nothing was charged.`,
        null,
      ];
    case "deadline_exceeded":
      return [
        "deadline_exceeded",
        "The job could not finish within its tier's deadline; nothing was charged.",
        null,
      ];
    case "rejected":
      if (failure.error.code === "overloaded" || failure.status === 429) {
        return ["overloaded", "Every region was overloaded; nothing was charged.", null];
      }
      if (failure.status === 400 && failure.error.code === "invalid_request") {
        return ["invalid_request", failure.error.message, failure.error.param];
      }
      return ["upstream_error", "The region refused the job; nothing was charged.", null];
  }
}
