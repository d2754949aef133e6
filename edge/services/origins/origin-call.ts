// One signed POST /internal/v1/generate to one origin; its outcome classified as a value, never thrown.
import type { GenerateRequestInput, GenerateResponse } from "../../../protocol/generate";
import { signRequest } from "../../../protocol/signing";
import type { OriginTarget } from "./origin-config";
import {
  type OriginErrorBody,
  readGenerateResponse,
  readOriginError,
  retryAfterSeconds,
} from "./origin-response";

export const GENERATE_PATH = "/internal/v1/generate";

export type AttemptFailure =
  /** No response at all (refused, reset, DNS): nothing ran there, so the next origin may try. */
  | { readonly kind: "unreachable" }
  /** No complete response within the budget. */
  | { readonly kind: "timeout" }
  /** The origin answered with an error status (and, usually, the shared error envelope). */
  | {
      readonly kind: "answered";
      readonly status: number;
      readonly error: OriginErrorBody;
      readonly retryAfterSeconds: number | null;
    }
  /** A success status whose body we could not read or trust. */
  | { readonly kind: "malformed" };

export type AttemptResult =
  | { readonly ok: true; readonly response: GenerateResponse }
  | { readonly ok: false; readonly failure: AttemptFailure };

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface AttemptOptions {
  readonly secret: string;
  readonly timeoutMs: number;
  readonly traceparent: string;
  readonly fetch: FetchLike;
}

const isTimeout = (error: unknown) =>
  error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");

export async function callOrigin(
  target: OriginTarget,
  request: GenerateRequestInput,
  options: AttemptOptions,
): Promise<AttemptResult> {
  const body = JSON.stringify(request);
  const signed = await signRequest(options.secret, { method: "POST", path: GENERATE_PATH, body });
  let response: Response;
  try {
    response = await options.fetch(`${target.url}${GENERATE_PATH}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        traceparent: options.traceparent,
        ...signed,
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    return { ok: false, failure: isTimeout(error) ? { kind: "timeout" } : { kind: "unreachable" } };
  }
  return readAnswer(response);
}

async function readAnswer(response: Response): Promise<AttemptResult> {
  let json: unknown = null;
  try {
    json = await response.json();
  } catch (error) {
    // The answer started, so the origin may have done the work: never retried elsewhere.
    if (isTimeout(error)) return { ok: false, failure: { kind: "timeout" } };
  }
  if (response.ok) {
    const read = readGenerateResponse(json);
    return read ? { ok: true, response: read } : { ok: false, failure: { kind: "malformed" } };
  }
  const failure: AttemptFailure = {
    kind: "answered",
    status: response.status,
    error: readOriginError(json),
    retryAfterSeconds: retryAfterSeconds(response.headers.get("retry-after")),
  };
  return { ok: false, failure };
}
