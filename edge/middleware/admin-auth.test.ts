// Admin auth fails closed: no configured token, or the dev token outside development, admits nobody.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../index";
import { DEV_ADMIN_TOKEN } from "./admin-auth";

async function tenantsWith(overrides: Partial<typeof env>, token: string) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request("https://edge.test/admin/audit", { headers: { authorization: `Bearer ${token}` } }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res.status;
}

describe("admin auth", () => {
  it("admits the configured token", async () => {
    const strong = "s3cret-admin-token-with-entropy";
    expect(await tenantsWith({ ADMIN_TOKEN: strong, ENVIRONMENT: "production" }, strong)).toBe(200);
  });

  it("refuses the dev token outside development", async () => {
    const overrides = { ADMIN_TOKEN: DEV_ADMIN_TOKEN, ENVIRONMENT: "production" };
    expect(await tenantsWith(overrides, DEV_ADMIN_TOKEN)).toBe(401);
  });

  it("refuses everything when no token is configured", async () => {
    expect(await tenantsWith({ ADMIN_TOKEN: "" }, "")).toBe(401);
    expect(await tenantsWith({ ADMIN_TOKEN: "" }, "anything")).toBe(401);
  });
});
