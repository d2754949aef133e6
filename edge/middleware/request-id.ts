// Gives every request an id (honouring a sane X-Request-Id) and a W3C trace id (honouring traceparent).
import { createMiddleware } from "hono/factory";
import { toHex } from "../../protocol/signing";
import type { AppEnv } from "../env";
import { randomBase62 } from "../services/ids/random-base62";

/** Client ids end up in logs, headers and D1: accept only short, plain tokens. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = "0".repeat(32);

export function traceIdFrom(traceparent: string | undefined): string | null {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  const traceId = match?.[1];
  return traceId && traceId !== ZERO_TRACE ? traceId : null;
}

function newTraceId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

export function requestId() {
  return createMiddleware<AppEnv>(async function requestId(c, next) {
    const offered = c.req.header("x-request-id")?.trim();
    const id = offered && CLIENT_ID.test(offered) ? offered : `req_${randomBase62(24)}`;
    c.set("requestId", id);
    c.set("traceId", traceIdFrom(c.req.header("traceparent")) ?? newTraceId());
    c.header("x-request-id", id);
    await next();
  });
}

/** A W3C traceparent for an outgoing call: the request's trace id and a fresh span id. */
export function traceparentFor(traceId: string): string {
  return `00-${traceId}-${toHex(crypto.getRandomValues(new Uint8Array(8)))}-01`;
}
