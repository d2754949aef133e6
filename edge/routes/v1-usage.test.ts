// GET /v1/usage: the current UTC month, the tenant's limits, and what it has used and holds.
import { describe, expect, it } from "vitest";
import { tenantWithKey } from "../test/generation";
import { callJson } from "../test/harness";

describe("GET /v1/usage", () => {
  it("reports the period, limits and zero usage for a new tenant", async () => {
    const { key } = await tenantWithKey({ monthly_image_quota: 7, rate_limit_per_minute: 9 });
    const usage = await callJson<Record<string, unknown>>("/v1/usage", { token: key });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      object: "usage",
      images_used: 0,
      images_reserved: 0,
      images_remaining: 7,
      monthly_image_quota: 7,
      rate_limit_per_minute: 9,
    });
    const start = new Date(String(usage.body.period_start));
    const end = new Date(String(usage.body.period_end));
    expect([start.getUTCDate(), start.getUTCHours(), end.getUTCDate()]).toEqual([1, 0, 1]);
    expect(end.getTime()).toBeGreaterThan(Date.now());
    expect(start.getTime()).toBeLessThanOrEqual(Date.now());
  });
});
