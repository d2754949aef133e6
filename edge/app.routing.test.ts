// Routing answers at the front door: 405 with Allow for a known path under another method, 404 for what darkroom lacks.
import { beforeAll, describe, expect, it } from "vitest";
import { expectConformant } from "./test/conformance";
import { tenantWithKey } from "./test/generation";
import { ADMIN_TOKEN, type CallOptions, call, type ErrorEnvelope } from "./test/harness";

let key: string;
beforeAll(async () => {
  ({ key } = await tenantWithKey());
});

async function answer(path: string, options: CallOptions) {
  const res = await call(path, options);
  const body = (await res.json()) as ErrorEnvelope;
  expectConformant("ErrorResponse", body);
  expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  return { status: res.status, allow: res.headers.get("allow"), error: body.error };
}

/** A multipart upload as `client.images.edit` sends it, with an image part of `imageBytes`. */
function multipart(imageBytes: number): CallOptions {
  const boundary = "darkroom-test-boundary";
  const body =
    `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nadd a hat\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="fox.png"\r\n` +
    `Content-Type: image/png\r\n\r\n${"x".repeat(imageBytes)}\r\n--${boundary}--\r\n`;
  return {
    method: "POST",
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body,
  };
}

describe("405 method_not_allowed", () => {
  it.each([
    ["GET", "/v1/images/generations", "POST"],
    ["DELETE", "/v1/images/generations", "POST"],
    ["GET", "/v1/images/jobs", "POST"],
    ["DELETE", "/v1/images/jobs/job_abc", "GET, HEAD"],
    ["POST", "/v1/models", "GET, HEAD"],
    ["PUT", "/v1/usage", "GET, HEAD"],
  ])("answers %s %s with 405 and Allow: %s", async (method, path, allow) => {
    const got = await answer(path, { method, token: key });
    expect(got).toMatchObject({ status: 405, allow, error: { code: "method_not_allowed" } });
    expect(got.error.message).toContain(allow);
  });

  it("answers the admin API's wrong methods the same way, behind the admin token", async () => {
    const put = await answer("/admin/tenants", { method: "PUT", token: ADMIN_TOKEN, json: {} });
    expect(put).toMatchObject({ status: 405, allow: "POST" });
    const post = await answer("/admin/audit", { method: "POST", token: ADMIN_TOKEN, json: {} });
    expect(post).toMatchObject({ status: 405, allow: "GET, HEAD" });
  });

  it("answers a public path (no credential needed) with 405 straight away", async () => {
    expect(await answer("/healthz", { method: "POST" })).toMatchObject({
      status: 405,
      allow: "GET, HEAD",
    });
  });

  it("checks the credential first behind /v1 and /admin, as it does for an unknown path", async () => {
    for (const path of ["/v1/images/generations", "/v1/no-such-route"]) {
      const got = await answer(path, { method: "DELETE" });
      expect(got, path).toMatchObject({ status: 401, allow: null });
      expect(got.error.code).toBe("missing_api_key");
    }
    expect(await answer("/admin/tenants", { method: "PUT" })).toMatchObject({ status: 401 });
  });

  it("still answers 404 without Allow where no method has a route", async () => {
    for (const path of ["/v1/images/not-an-image-id", "/v1/images/jobs/job_abc/nope", "/nope"]) {
      const got = await answer(path, { method: "GET", token: key });
      expect(got, path).toMatchObject({ status: 404, allow: null, error: { code: "not_found" } });
    }
  });
});

describe("OpenAI endpoints darkroom does not implement", () => {
  it.each([
    ["/v1/images/edits", "with a key", true],
    ["/v1/images/edits", "with no key", false],
    ["/v1/images/variations", "with a key", true],
    ["/v1/images/variations", "with no key", false],
  ])("answers a multipart upload to %s %s with 404 saying so", async (path, _who, keyed) => {
    const got = await answer(path, { ...multipart(1_000), token: keyed ? key : undefined });
    expect(got).toMatchObject({ status: 404, allow: null, error: { code: "not_found" } });
    expect(got.error.message).toContain("not supported by darkroom");
  });

  it("answers so even for an upload over the JSON body limit", async () => {
    const got = await answer("/v1/images/edits", { ...multipart(200_000), token: key });
    expect(got).toMatchObject({ status: 404, error: { code: "not_found" } });
  });

  it("keeps 415 for a JSON route sent a multipart body", async () => {
    const got = await answer("/v1/images/generations", { ...multipart(10), token: key });
    expect(got).toMatchObject({ status: 415, error: { code: "unsupported_media_type" } });
  });
});
