// Public: GET /v1/usage, the caller's usage and limits this billing period, from its TenantGate.
import { createRoute, z } from "@hono/zod-openapi";
import { API_KEY_SECURITY, errorResponses, json, newRouter } from "./router";

const UsageSchema = z
  .object({
    object: z.literal("usage"),
    period_start: z.string().openapi({ description: "Start of the UTC calendar month" }),
    period_end: z.string().openapi({ description: "Exclusive: the start of the next month" }),
    images_used: z.number().int().openapi({ description: "Delivered images charged" }),
    images_reserved: z.number().int().openapi({ description: "Held by requests in flight" }),
    images_remaining: z.number().int(),
    units_used: z.number().int().openapi({ description: "Cost units charged (see cost.ts)" }),
    monthly_image_quota: z.number().int(),
    rate_limit_per_minute: z.number().int(),
    max_concurrency: z.number().int(),
    in_flight: z.number().int(),
  })
  .openapi("Usage");

const getUsage = createRoute({
  method: "get",
  path: "/v1/usage",
  summary: "Usage and limits for the current period",
  security: API_KEY_SECURITY,
  responses: {
    200: { description: "The caller's usage", content: json(UsageSchema) },
    ...errorResponses("invalid_api_key"),
  },
});

export const v1Usage = newRouter().openapi(getUsage, async (c) => {
  const { tenantId, tenant } = c.var.auth;
  const usage = await c.var.services.gate.usage(tenantId, {
    rate_limit_per_minute: tenant.rateLimitPerMinute,
    max_concurrency: tenant.maxConcurrency,
    monthly_image_quota: tenant.monthlyImageQuota,
  });
  const remaining = usage.monthly_image_quota - usage.images_used - usage.images_reserved;
  return c.json(
    { object: "usage" as const, ...usage, images_remaining: Math.max(0, remaining) },
    200,
  );
});
