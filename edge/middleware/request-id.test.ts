// Request ids: a sane X-Request-Id is honoured, anything else replaced; traceparent parsing.
import { describe, expect, it } from "vitest";
import { call } from "../test/harness";
import { traceIdFrom } from "./request-id";

describe("request id", () => {
  it("honours a well-formed X-Request-Id and echoes it in the header and error body", async () => {
    const res = await call("/missing", { headers: { "x-request-id": "client-abc.123" } });
    expect(res.headers.get("x-request-id")).toBe("client-abc.123");
    expect(((await res.json()) as { error: { request_id: string } }).error.request_id).toBe(
      "client-abc.123",
    );
  });

  it.each(["has space", "<script>", "x".repeat(129), "semi;colon"])(
    "replaces an unusable X-Request-Id %j with its own",
    async (offered) => {
      const res = await call("/healthz", { headers: { "x-request-id": offered } });
      expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9A-Za-z]{24}$/);
    },
  );

  it("mints distinct ids when none is offered", async () => {
    const [a, b] = await Promise.all([call("/healthz"), call("/healthz")]);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));
  });

  it("takes the trace id from a valid traceparent only", () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    expect(traceIdFrom(`00-${traceId}-00f067aa0ba902b7-01`)).toBe(traceId);
    expect(traceIdFrom(`00-${"0".repeat(32)}-00f067aa0ba902b7-01`)).toBeNull();
    expect(traceIdFrom("00-xyz-00f067aa0ba902b7-01")).toBeNull();
    expect(traceIdFrom(undefined)).toBeNull();
  });
});
