// Idempotency-Key on a route: replay the stored response, refuse a reused key, or run and remember.
import type { Context } from "hono";
import { sha256Hex } from "../../protocol/signing";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import type { StoredResponse } from "../services/idempotency/idempotency-store";

/**
 * Only successes are stored: a failure leaves nothing charged and nothing delivered, so a retry
 * with the same key runs afresh (as Stripe does for requests that did not complete). A repeat that
 * arrives while the first is still running gets 409 with Retry-After rather than waiting for it.
 */
export async function respondIdempotently<T extends object, S extends 200 | 202 = 200>(
  c: Context<AppEnv>,
  key: string | undefined,
  body: Record<string, unknown>,
  run: () => Promise<StoredResponse & { body: T }>,
  /** The route's one success status (jobs answer 202); a replay answers with it too. */
  status: S = 200 as S,
) {
  if (key === undefined) return respond<T, S>(c, await run(), status);
  const { tenantId } = c.get("auth");
  const store = c.get("services").idempotency;
  // Canonical (sorted keys) so that field order does not make the same request look different;
  // the route is part of it, so a key reused on another route is a conflict, never a replay of
  // the other route's answer (a job for an image, or images for a job).
  const canonical = JSON.stringify(body, Object.keys(body).sort());
  const bodySha256 = await sha256Hex(`${c.req.method} ${c.req.path}\n${canonical}`);
  const claim = await store.claim(tenantId, key, bodySha256);
  if (claim.kind === "replay") {
    c.header("idempotent-replayed", "true");
    return respond<T, S>(c, claim.response, status);
  }
  if (claim.kind === "mismatch") {
    throw new ApiError(
      "idempotency_conflict",
      "This Idempotency-Key was already used with a different request (another body or route).",
      { param: "Idempotency-Key", headers: { "x-should-retry": "false" } },
    );
  }
  if (claim.kind === "lost") {
    throw new ApiError(
      "idempotency_conflict",
      "This Idempotency-Key's request was already processed and charged, but its response could not be kept; send a new key to generate again.",
      { param: "Idempotency-Key", headers: { "x-should-retry": "false" } },
    );
  }
  if (claim.kind === "in_progress") {
    throw new ApiError(
      "idempotency_conflict",
      "A request with this Idempotency-Key is still in progress; retry after it finishes.",
      { param: "Idempotency-Key", headers: { "retry-after": "1" } },
    );
  }
  let response: StoredResponse & { body: T };
  try {
    response = await run();
  } catch (error) {
    await store.release(tenantId, key).catch(logStoreFailure);
    throw error;
  }
  // Delivered and charged already: a failure to remember it must not turn the answer into a 500.
  const kept = c.get("auth").tenant.storePrompts ? response : withoutPromptText(response);
  // Once more on a failure: a claim left in progress would answer repeats 409 for its lease, and
  // then run the request, and charge it, a second time.
  await store
    .complete(tenantId, key, kept)
    .catch(() => store.complete(tenantId, key, kept))
    .catch(logStoreFailure);
  return respond<T, S>(c, response, status);
}

/**
 * The copy kept for replays, for a tenant whose policy keeps no prompt text: without the
 * `revised_prompt` of each image (the cleaned prompt itself). A replay answers without it.
 */
function withoutPromptText<T extends object>(response: StoredResponse & { body: T }) {
  const data = (response.body as { data?: unknown }).data;
  if (!Array.isArray(data)) return response;
  const images = data.map((image: unknown) => {
    if (typeof image !== "object" || image === null || !("revised_prompt" in image)) return image;
    const { revised_prompt: _dropped, ...rest } = image as Record<string, unknown>;
    return rest;
  });
  return { ...response, body: { ...response.body, data: images } };
}

function logStoreFailure(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(JSON.stringify({ level: "error", msg: "idempotency store failed", message }));
}

/** Only successes are stored, so a replay has the route's success status and body type. */
function respond<T extends object, S extends 200 | 202>(
  c: Context<AppEnv>,
  response: StoredResponse,
  status: S,
) {
  for (const [name, value] of Object.entries(response.headers)) c.header(name, value);
  return c.json(response.body as T, status);
}
