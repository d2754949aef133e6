// Error shape at the edge's front door: unknown route, bad JSON, oversized and non-JSON bodies, admin token.
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "./middleware/body-limit";
import { ADMIN_TOKEN, call, type ErrorEnvelope } from "./test/harness";

async function errorOf(res: Response): Promise<ErrorEnvelope["error"]> {
  const body = (await res.json()) as ErrorEnvelope;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(body.error).sort()).toEqual([
    "code",
    "message",
    "param",
    "request_id",
    "type",
  ]);
  expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  return body.error;
}

/** A body that never ends: only a limiter that stops reading can answer it. */
function endlessBody(): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(`{"name":"${"a".repeat(4096)}`);
  return new ReadableStream({ pull: (controller) => controller.enqueue(chunk) });
}

describe("error shape", () => {
  it("answers an unknown route with 404 not_found", async () => {
    const res = await call("/nope");
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: "not_found", type: "invalid_request_error" });
  });

  it("answers malformed JSON with 400 invalid_request", async () => {
    const res = await call("/admin/tenants", {
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: '{"name": "unterminated',
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: "invalid_request", param: null });
  });

  it("rejects a body over 64 KiB by Content-Length with 413, even when it is not JSON", async () => {
    const res = await call("/admin/tenants", {
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: "x".repeat(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
  });

  it("stops reading a streamed body at the limit and answers 413", async () => {
    const res = await call("/admin/tenants", {
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: endlessBody(),
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("payload_too_large");
  });

  it("accepts a body of exactly 64 KiB as far as the limiter is concerned", async () => {
    const json = JSON.stringify({ name: "x" });
    const res = await call("/admin/tenants", {
      token: ADMIN_TOKEN,
      headers: { "content-type": "application/json" },
      body: json + " ".repeat(MAX_BODY_BYTES - json.length),
    });
    expect(res.status).toBe(201);
  });

  it.each(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])(
    "rejects a %s body with 415",
    async (type) => {
      const res = await call("/admin/tenants", {
        token: ADMIN_TOKEN,
        headers: { "content-type": type },
        body: '{"name":"x"}',
      });
      expect(res.status).toBe(415);
      expect((await errorOf(res)).code).toBe("unsupported_media_type");
    },
  );

  it("rejects a JSON body sent without any Content-Type with 415", async () => {
    // A byte body, unlike a string one, gets no default text/plain type from the Request constructor.
    const body = new TextEncoder().encode('{"name":"x"}');
    const res = await call("/admin/tenants", { token: ADMIN_TOKEN, body });
    expect(res.status).toBe(415);
  });

  it.each([
    ["no token", undefined, "missing_api_key"],
    ["a wrong token", "not-the-admin-token", "invalid_api_key"],
    ["a prefix of the token", ADMIN_TOKEN.slice(0, -1), "invalid_api_key"],
    ["an API-key-shaped token", `drk_${"a".repeat(40)}`, "invalid_api_key"],
  ])("answers an admin call with %s with 401", async (_label, token, code) => {
    const res = await call("/admin/tenants", { token, json: { name: "x" } });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({ code, type: "authentication_error" });
  });

  it("never answers a client mistake with a 5xx", async () => {
    const res = await call("/admin/tenants", { token: ADMIN_TOKEN, json: [1, 2, 3] });
    expect(res.status).toBe(400);
  });
});
