// Middleware: the request body, once, as bytes, within a size limit (413 beyond it), before anything parses it.
//
// Served by @hono/node-server, it reads Node's IncomingMessage directly: touching `c.req.raw.body`
// (as hono/body-limit does) makes node-server build a web Request with a ReadableStream first,
// which cost ~0.7 ms of the ~1.2 ms every /internal call spent before its route (CPU profile).
// Without Node bindings (app.request in tests) it reads through the Fetch API.
import type { IncomingMessage } from "node:http";
import { createMiddleware } from "hono/factory";
import type { OriginEnv } from "./origin-env";
import { OriginError } from "./origin-error";

const tooLarge = (maxBytes: number) =>
  new OriginError("payload_too_large", `Body exceeds ${maxBytes} bytes.`);

/** Every chunk of the stream, or null as soon as they add up to more than `maxBytes`. */
async function collect(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | null> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > maxBytes) return null;
    parts.push(chunk);
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
}

function fetchChunks(request: Request): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  const body = request.body;
  return body ? (body as unknown as AsyncIterable<Uint8Array>) : [];
}

export function readBody(maxBytes: number) {
  return createMiddleware<OriginEnv>(async function readBody(c, next) {
    const declared = Number(c.req.header("content-length"));
    if (declared > maxBytes) throw tooLarge(maxBytes);
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const bytes = await collect(incoming ?? fetchChunks(c.req.raw), maxBytes);
    // Leaving the loop early has destroyed the rest of an oversized upload; the 413 still goes
    // out (test/origin-process.test.ts sends one chunked).
    if (bytes === null) throw tooLarge(maxBytes);
    c.set("bodyBytes", bytes);
    await next();
  });
}
