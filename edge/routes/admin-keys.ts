// Admin: issue a tenant's API key (shown once) and revoke keys (POST /admin/tenants/{id}/keys, DELETE /admin/keys/{id}).
import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../errors/api-error";
import { tenantNotFound } from "./admin-tenants";
import { ADMIN_SECURITY, errorResponses, json, newRouter } from "./router";

const CreateKeySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).optional(),
    expires_at: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) > Date.now(), "must be in the future")
      .optional(),
  })
  .openapi("CreateApiKey");

const IssuedKeySchema = z
  .object({
    id: z.string(),
    object: z.literal("api_key"),
    key: z.string().openapi({ description: "The secret: shown only in this response." }),
    prefix: z.string(),
    name: z.string().nullable(),
    tenant_id: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
  })
  .openapi("IssuedApiKey");

const RevokedKeySchema = z
  .object({
    id: z.string(),
    object: z.literal("api_key"),
    prefix: z.string(),
    tenant_id: z.string(),
    revoked: z.literal(true),
    revoked_at: z.string(),
  })
  .openapi("RevokedApiKey");

const Id = z.object({ id: z.string().min(1).max(64) });

const issueKey = createRoute({
  method: "post",
  path: "/admin/tenants/{id}/keys",
  summary: "Issue an API key for a tenant",
  description: "The key is returned once; only its SHA-256 hash and display prefix are stored.",
  security: ADMIN_SECURITY,
  request: { params: Id, body: { content: json(CreateKeySchema), required: false } },
  responses: {
    201: { description: "The new key", content: json(IssuedKeySchema) },
    ...errorResponses("invalid_request", "invalid_api_key", "not_found"),
  },
});

const revokeKey = createRoute({
  method: "delete",
  path: "/admin/keys/{id}",
  summary: "Revoke an API key",
  description: "Effective at once locally; at most 60 s (the key cache TTL) in other locations.",
  security: ADMIN_SECURITY,
  request: { params: Id },
  responses: {
    200: { description: "The revoked key", content: json(RevokedKeySchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

export const adminKeys = newRouter()
  .openapi(issueKey, async (c) => {
    const { id: tenantId } = c.req.valid("param");
    const body = c.req.valid("json");
    const { tenants, keys } = c.var.services;
    if (!(await tenants.get(tenantId))) {
      throw tenantNotFound(tenantId);
    }
    const { row, key } = await keys.issue(tenantId, {
      name: body.name ?? null,
      expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    });
    c.var.audit.note({ tenantId, keyId: row.id });
    // The one response that carries the key: no cache along the way may keep it.
    c.header("cache-control", "no-store");
    return c.json(
      {
        id: row.id,
        object: "api_key" as const,
        key,
        prefix: row.prefix,
        name: row.name,
        tenant_id: tenantId,
        created_at: row.createdAt.toISOString(),
        expires_at: row.expiresAt?.toISOString() ?? null,
      },
      201,
    );
  })
  .openapi(revokeKey, async (c) => {
    const { id } = c.req.valid("param");
    const row = await c.var.services.keys.revoke(id);
    if (!row?.revokedAt)
      throw new ApiError("not_found", `No API key with id '${id}'.`, { param: "id" });
    c.var.audit.note({ tenantId: row.tenantId, keyId: row.id });
    return c.json(
      {
        id: row.id,
        object: "api_key" as const,
        prefix: row.prefix,
        tenant_id: row.tenantId,
        revoked: true as const,
        revoked_at: row.revokedAt.toISOString(),
      },
      200,
    );
  });
