// Admin: create, read and patch tenants (POST /admin/tenants, GET/PATCH /admin/tenants/{id}).
import { createRoute, z } from "@hono/zod-openapi";
import { TIERS } from "../../protocol/tiers";
import { ApiError } from "../errors/api-error";
import type { Tenant, TenantPatch } from "../services/tenants/tenant-store";
import { ROTATION_OVERLAP_MS } from "../services/webhooks/tenant-webhook-secret";
import { ADMIN_SECURITY, errorResponses, json, newRouter } from "./router";

const NO_CONTROL_CHARS = /^[^\p{Cc}]*$/u;

const settings = {
  rate_limit_per_minute: z.number().int().min(1).max(1_000_000),
  max_concurrency: z.number().int().min(1).max(1_000),
  monthly_image_quota: z.number().int().min(0).max(1_000_000_000),
  allowed_tiers: z
    .array(z.enum(TIERS))
    .min(1)
    .refine((tiers) => new Set(tiers).size === tiers.length, "must not repeat a tier"),
  residency: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, "must be a region tag such as 'eu'")
    .nullable(),
  store_prompts: z.boolean(),
};
const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(NO_CONTROL_CHARS, "must not contain control characters");

const CreateTenantSchema = z
  .strictObject({
    name,
    rate_limit_per_minute: settings.rate_limit_per_minute.optional(),
    max_concurrency: settings.max_concurrency.optional(),
    monthly_image_quota: settings.monthly_image_quota.optional(),
    allowed_tiers: settings.allowed_tiers.optional(),
    residency: settings.residency.optional(),
    store_prompts: settings.store_prompts.optional(),
  })
  .openapi("CreateTenant");

const PatchTenantSchema = z
  .strictObject({
    name: name.optional(),
    rate_limit_per_minute: settings.rate_limit_per_minute.optional(),
    max_concurrency: settings.max_concurrency.optional(),
    monthly_image_quota: settings.monthly_image_quota.optional(),
    allowed_tiers: settings.allowed_tiers.optional(),
    residency: settings.residency.optional(),
    store_prompts: settings.store_prompts.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, "must set at least one field")
  .openapi("PatchTenant");

const TenantSchema = z
  .object({
    id: z.string(),
    object: z.literal("tenant"),
    name: z.string(),
    ...settings,
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Tenant");

const TenantParams = z.object({ id: z.string().min(1).max(64) });

type TenantBody = z.infer<typeof PatchTenantSchema>;

function toSettings(body: TenantBody): TenantPatch {
  return {
    name: body.name,
    rateLimitPerMinute: body.rate_limit_per_minute,
    maxConcurrency: body.max_concurrency,
    monthlyImageQuota: body.monthly_image_quota,
    allowedTiers: body.allowed_tiers,
    residency: body.residency,
    storePrompts: body.store_prompts,
  };
}

function present(t: Tenant): z.infer<typeof TenantSchema> {
  return {
    id: t.id,
    object: "tenant",
    name: t.name,
    rate_limit_per_minute: t.rateLimitPerMinute,
    max_concurrency: t.maxConcurrency,
    monthly_image_quota: t.monthlyImageQuota,
    allowed_tiers: t.allowedTiers,
    residency: t.residency,
    store_prompts: t.storePrompts,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

export const tenantNotFound = (id: string) =>
  new ApiError("not_found", `No tenant with id '${id.slice(0, 64)}'.`, { param: "id" });

const createTenant = createRoute({
  method: "post",
  path: "/admin/tenants",
  summary: "Create a tenant",
  security: ADMIN_SECURITY,
  request: { body: { content: json(CreateTenantSchema), required: true } },
  responses: {
    201: { description: "The new tenant", content: json(TenantSchema) },
    ...errorResponses("invalid_request", "invalid_api_key", "unsupported_media_type"),
  },
});

const getTenant = createRoute({
  method: "get",
  path: "/admin/tenants/{id}",
  summary: "Read a tenant",
  security: ADMIN_SECURITY,
  request: { params: TenantParams },
  responses: {
    200: { description: "The tenant", content: json(TenantSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

const patchTenant = createRoute({
  method: "patch",
  path: "/admin/tenants/{id}",
  summary: "Change a tenant's name, limits or policy",
  security: ADMIN_SECURITY,
  request: { params: TenantParams, body: { content: json(PatchTenantSchema), required: true } },
  responses: {
    200: { description: "The updated tenant", content: json(TenantSchema) },
    ...errorResponses("invalid_request", "invalid_api_key", "not_found"),
  },
});

const WebhookSecretRotationSchema = z
  .object({
    object: z.literal("webhook_secret_rotation"),
    tenant_id: z.string(),
    version: z.number().int(),
    rotated_at: z.string(),
    previous_valid_until: z.string().openapi({
      description: "Deliveries carry a second signature, by the previous secret, until then",
    }),
  })
  .openapi("WebhookSecretRotation");

const rotateWebhookSecret = createRoute({
  method: "post",
  path: "/admin/tenants/{id}/webhook-secret/rotate",
  summary: "Give a tenant a new webhook signing secret (after a leak, or routinely)",
  security: ADMIN_SECURITY,
  request: { params: TenantParams },
  responses: {
    200: { description: "The rotation", content: json(WebhookSecretRotationSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

export const adminTenants = newRouter()
  .openapi(createTenant, async (c) => {
    const body = c.req.valid("json");
    const tenant = await c.var.services.tenants.create({ ...toSettings(body), name: body.name });
    c.var.audit.note({ tenantId: tenant.id });
    return c.json(present(tenant), 201);
  })
  .openapi(getTenant, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = await c.var.services.tenants.get(id);
    if (!tenant) throw tenantNotFound(id);
    return c.json(present(tenant), 200);
  })
  .openapi(rotateWebhookSecret, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = await c.var.services.tenants.rotateWebhookSecret(id);
    if (!tenant?.webhookSecretRotatedAt) throw tenantNotFound(id);
    c.var.audit.note({ tenantId: id });
    const rotatedAt = tenant.webhookSecretRotatedAt.getTime();
    return c.json(
      {
        object: "webhook_secret_rotation" as const,
        tenant_id: id,
        version: tenant.webhookSecretVersion,
        rotated_at: new Date(rotatedAt).toISOString(),
        previous_valid_until: new Date(rotatedAt + ROTATION_OVERLAP_MS).toISOString(),
      },
      200,
    );
  })
  .openapi(patchTenant, async (c) => {
    const { id } = c.req.valid("param");
    const tenant = await c.var.services.tenants.update(id, toSettings(c.req.valid("json")));
    if (!tenant) throw tenantNotFound(id);
    // Cached key lookups carry the tenant's limits: drop them so the change applies at once.
    await c.var.services.keys.forgetTenant(id);
    c.var.audit.note({ tenantId: id });
    return c.json(present(tenant), 200);
  });
