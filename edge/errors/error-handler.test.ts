// The one code→status mapping, as a table: every code in protocol's ERROR_STATUS renders with its status and shape.
import { describe, expect, it, vi } from "vitest";
import { ERROR_STATUS, ErrorBodySchema, type ErrorCode } from "../../protocol/errors";
import { newRouter } from "../routes/router";
import { ApiError } from "./api-error";
import { notFound, onError } from "./error-handler";

/** Written out by hand on purpose: a change to the mapping must show up as a failing row here. */
const EXPECTED: Record<ErrorCode, [number, string]> = {
  invalid_request: [400, "invalid_request_error"],
  content_policy_violation: [400, "invalid_request_error"],
  missing_api_key: [401, "authentication_error"],
  invalid_api_key: [401, "authentication_error"],
  invalid_signature: [401, "authentication_error"],
  tier_not_allowed: [403, "permission_error"],
  forbidden: [403, "permission_error"],
  not_found: [404, "invalid_request_error"],
  method_not_allowed: [405, "invalid_request_error"],
  idempotency_conflict: [409, "invalid_request_error"],
  conflict: [409, "invalid_request_error"],
  payload_too_large: [413, "invalid_request_error"],
  unsupported_media_type: [415, "invalid_request_error"],
  rate_limit_exceeded: [429, "rate_limit_error"],
  insufficient_quota: [429, "rate_limit_error"],
  concurrency_limit: [429, "rate_limit_error"],
  overloaded: [429, "rate_limit_error"],
  internal_error: [500, "server_error"],
  upstream_error: [502, "server_error"],
  no_capacity: [503, "server_error"],
  not_ready: [503, "server_error"],
  deadline_exceeded: [504, "server_error"],
};

function appThrowing(error: Error, allowedMethods?: (path: string) => readonly string[]) {
  const app = newRouter();
  app.onError(onError);
  app.notFound(notFound(allowedMethods));
  app.use("*", async (c, next) => {
    c.set("requestId", "req_table");
    await next();
  });
  app.get("/boom", () => {
    throw error;
  });
  return app;
}

describe("error code → status table", () => {
  it("covers exactly the protocol's codes", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(ERROR_STATUS).sort());
  });

  it.each(Object.entries(EXPECTED))("%s renders as %j", async (code, [status, type]) => {
    const error = new ApiError(code as ErrorCode, `failure ${code}`, { param: "field" });
    const res = await appThrowing(error).request("/boom");
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json();
    expect(ErrorBodySchema.parse(body)).toEqual({
      error: { message: `failure ${code}`, type, param: "field", code, request_id: "req_table" },
    });
  });

  it("renders an unknown error as a logged 500 without its message or stack", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const secret = new Error("db password is hunter2");
    const res = await appThrowing(secret).request("/boom");
    expect(log).toHaveBeenCalledWith(expect.stringContaining('"request_id":"req_table"'));
    log.mockRestore();
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("at ");
    expect(JSON.parse(text).error).toMatchObject({ code: "internal_error", type: "server_error" });
  });

  it("carries an error's extra headers, e.g. Retry-After", async () => {
    const error = new ApiError("no_capacity", "busy", { headers: { "retry-after": "3" } });
    const res = await appThrowing(error).request("/boom");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("3");
  });
});

describe("a request no route answered", () => {
  const boom = new Error("unused");

  it("is 405 with Allow when routes take its path under other methods", async () => {
    const app = appThrowing(boom, (path) => (path === "/thing" ? ["GET", "HEAD"] : []));
    const res = await app.request("/thing", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(ErrorBodySchema.parse(await res.json()).error).toMatchObject({
      code: "method_not_allowed",
      type: "invalid_request_error",
      message: "DELETE is not allowed on /thing; it takes GET, HEAD.",
    });
  });

  it("is 404 without Allow when no method has a route, or its own method does", async () => {
    const app = appThrowing(boom, (path) => (path === "/thing" ? ["GET", "HEAD"] : []));
    for (const [method, path] of [
      ["DELETE", "/elsewhere"],
      ["GET", "/thing"],
    ] as const) {
      const res = await app.request(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("allow")).toBeNull();
      expect(ErrorBodySchema.parse(await res.json()).error.code).toBe("not_found");
    }
  });
});
