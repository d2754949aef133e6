// The signed POST /internal/v1/cancel: asks the origin running a generation to drop its rows at the next step.
import { signRequest } from "../../../protocol/signing";
import type { FetchLike } from "../origins/origin-call";
import type { OriginTarget } from "../origins/origin-config";

const CANCEL_PATH = "/internal/v1/cancel";
const CANCEL_TIMEOUT_MS = 5_000;

/** `not_running`: the origin no longer has it (finished, or never got it); `unreachable`: no answer. */
export type OriginCancelResult = "canceled" | "not_running" | "unreachable";

export async function cancelAtOrigin(
  target: OriginTarget,
  requestId: string,
  options: { readonly secret: string; readonly fetch?: FetchLike },
): Promise<OriginCancelResult> {
  const body = JSON.stringify({ request_id: requestId, nonce: crypto.randomUUID() });
  const signed = await signRequest(options.secret, { method: "POST", path: CANCEL_PATH, body });
  const fetcher: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  try {
    const response = await fetcher(`${target.url}${CANCEL_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...signed },
      body,
      signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.ok) return "canceled";
    return response.status === 404 ? "not_running" : "unreachable";
  } catch {
    return "unreachable";
  }
}
