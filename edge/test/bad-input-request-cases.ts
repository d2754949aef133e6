// Bad-input cases about the request around the body: duplicate and oversized headers, media types, sizes.
import { MAX_BODY_BYTES } from "../middleware/body-limit";
import { type BadCase, ok } from "./bad-input-case";

const headers: BadCase[] = [
  {
    name: "two Authorization headers",
    caller: "none",
    headers: [
      ["authorization", "Bearer drk_a"],
      ["authorization", "Bearer drk_b"],
    ],
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "two Content-Type headers",
    headers: [
      ["content-type", "application/json"],
      ["content-type", "text/plain"],
    ],
    body: JSON.stringify(ok),
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "two Idempotency-Key headers",
    headers: [
      ["idempotency-key", "k1"],
      ["idempotency-key", "k2"],
    ],
    json: ok,
    status: 400,
    code: "invalid_request",
    param: "idempotency-key",
  },
  {
    name: "empty Idempotency-Key",
    headers: [["idempotency-key", ""]],
    json: ok,
    status: 400,
    code: "invalid_request",
    param: "idempotency-key",
  },
  {
    name: "Idempotency-Key of 256 characters",
    headers: [["idempotency-key", "k".repeat(256)]],
    json: ok,
    status: 400,
    code: "invalid_request",
    param: "idempotency-key",
  },
  {
    name: "Idempotency-Key of 16 KiB",
    headers: [["idempotency-key", "k".repeat(16_384)]],
    json: ok,
    status: 400,
    code: "invalid_request",
    param: "idempotency-key",
  },
  {
    name: "Authorization of 16 KiB",
    caller: { raw: `Bearer drk_${"a".repeat(16_384)}` },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "Content-Type of 8 KiB",
    headers: [["content-type", `application/${"x".repeat(8_192)}`]],
    body: JSON.stringify(ok),
    status: 415,
    code: "unsupported_media_type",
  },
];

const contentTypes: BadCase[] = [
  ...[
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "text/json",
    "application/jsonx",
  ].map(
    (type): BadCase => ({
      name: `Content-Type ${type}`,
      headers: [["content-type", type]],
      body: JSON.stringify(ok),
      status: 415,
      code: "unsupported_media_type",
    }),
  ),
  {
    name: "JSON bytes with no Content-Type",
    headers: [],
    body: new TextEncoder().encode(JSON.stringify(ok)),
    status: 415,
    code: "unsupported_media_type",
  },
];

function endless(): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(`{"prompt":"${"a".repeat(4096)}`);
  return new ReadableStream({ pull: (controller) => controller.enqueue(chunk) });
}

const oversized: BadCase[] = [
  {
    name: "body one byte over 64 KiB",
    body: "x".repeat(MAX_BODY_BYTES + 1),
    status: 413,
    code: "payload_too_large",
  },
  {
    name: "a 100 KB prompt",
    body: JSON.stringify({ prompt: "a".repeat(100_000) }),
    status: 413,
    code: "payload_too_large",
  },
  { name: "a 1 MB body", body: "{".repeat(1_000_000), status: 413, code: "payload_too_large" },
  { name: "an endless streamed body", body: endless, status: 413, code: "payload_too_large" },
];

export const REQUEST_CASES: BadCase[] = [...headers, ...contentTypes, ...oversized];
