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
  /** No response headers (the first byte) within the attempt's first-byte budget. */
  | { readonly kind: "timeout" }
  /** The answer started but did not complete in time: the origin may have done the work. */
  | { readonly kind: "cut_off" }
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
  /** The whole attempt, headers and body. */
  readonly timeoutMs: number;
  /** Until the response headers arrive (at most timeoutMs): the JSON answer's headers come only
   *  once the image is done, so this bounds the whole generation on an origin that hangs. */
  readonly firstByteMs?: number;
  readonly traceparent: string;
  readonly fetch: FetchLike;
}

class AttemptTimeout extends Error {
  override readonly name = "TimeoutError";
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
  const controller = new AbortController();
  const abort = (why: string) => () => controller.abort(new AttemptTimeout(why));
  const whole = setTimeout(abort("attempt timed out"), options.timeoutMs);
  const firstByte = setTimeout(
    abort("no first byte in time"),
    Math.min(options.firstByteMs ?? options.timeoutMs, options.timeoutMs),
  );
  try {
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
        signal: controller.signal,
      });
    } catch (error) {
      const failure: AttemptFailure = isTimeout(error)
        ? { kind: "timeout" }
        : { kind: "unreachable" };
      return { ok: false, failure };
    }
    // Headers arrived: the first byte is in, and from here on nothing is retried elsewhere.
    clearTimeout(firstByte);
    return await readAnswer(response);
  } finally {
    clearTimeout(firstByte);
    clearTimeout(whole);
  }
}

async function readAnswer(response: Response): Promise<AttemptResult> {
  let json: unknown = null;
  try {
    json = await response.json();
  } catch (error) {
    // The answer started, so the origin may have done the work: never retried elsewhere.
    if (isTimeout(error)) return { ok: false, failure: { kind: "cut_off" } };
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
