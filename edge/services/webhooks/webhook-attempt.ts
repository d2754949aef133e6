// One signed POST of a webhook delivery with a timeout: the outcome as a value, never a throw.
import { type AttemptResult, parseRetryAfter } from "./webhook-retry-policy";
import { signWebhook } from "./webhook-signature";

/** The part of fetch a delivery needs; globalThis.fetch fits, and so does a test's fake. */
export type WebhookSend = (
  url: string,
  init: {
    method: "POST";
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    redirect: "manual";
  },
) => Promise<Response>;

export const WEBHOOK_USER_AGENT = "darkroom-webhooks/1";
const MAX_ERROR_CHARS = 200;

export interface AttemptInput {
  url: string;
  id: string;
  body: string;
  /** Each signs (one `v1,` entry each): the tenant's secret, and its previous one while it rotates. */
  secret: string | readonly string[];
  /** Signed as webhook-timestamp (unix seconds). */
  nowMs: number;
  timeoutMs: number;
}

function describeError(error: unknown): string {
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return "timeout";
  const message = error instanceof Error ? error.message : String(error);
  return `network: ${message}`.slice(0, MAX_ERROR_CHARS);
}

export async function attemptDelivery(
  send: WebhookSend,
  input: AttemptInput,
): Promise<AttemptResult & { durationMs: number }> {
  const started = performance.now();
  const elapsed = () => Math.max(0, Math.round(performance.now() - started));
  const signed = await signWebhook(input.secret, {
    id: input.id,
    timestampS: Math.floor(input.nowMs / 1000),
    body: input.body,
  });
  try {
    const response = await send(input.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": WEBHOOK_USER_AGENT,
        ...signed,
      },
      body: input.body,
      signal: AbortSignal.timeout(input.timeoutMs),
      redirect: "manual",
    });
    // Only the status matters; dropping the body frees the connection.
    await response.body?.cancel().catch(() => {});
    return {
      kind: "response",
      statusCode: response.status,
      retryAfterS: parseRetryAfter(response.headers.get("retry-after")),
      durationMs: elapsed(),
    };
  } catch (error) {
    return { kind: "error", error: describeError(error), durationMs: elapsed() };
  }
}
