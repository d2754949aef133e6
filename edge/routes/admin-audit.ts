// Admin: read audit records, newest first (GET /admin/audit?tenant_id=&limit=&before=).
import { createRoute, z } from "@hono/zod-openapi";
import type { AuditRow } from "../db/schema";
import { ADMIN_SECURITY, errorResponses, json, newRouter } from "./router";

/** `?tenant_id=&limit=` (what a form or a URL template sends for "not set") means absent. */
const blankAsAbsent = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);

const AuditQuerySchema = z.strictObject({
  tenant_id: blankAsAbsent(z.string().min(1).max(64).optional()),
  limit: blankAsAbsent(z.coerce.number().int().min(1).max(500).default(50)),
  before: blankAsAbsent(z.coerce.number().int().positive().optional()).openapi({
    description: "Cursor: pass the previous page's `next_before`.",
  }),
});

const AuditRecordSchema = z
  .object({
    id: z.number(),
    request_id: z.string(),
    tenant_id: z.string().nullable(),
    key_id: z.string().nullable(),
    route: z.string(),
    tier: z.string().nullable(),
    params: z.record(z.string(), z.unknown()).nullable(),
    prompt_sha256: z.string().nullable(),
    safety_decision: z.string().nullable(),
    safety_category: z.string().nullable(),
    policy_version: z.string().nullable(),
    region: z.string().nullable(),
    status: z.number(),
    error_code: z.string().nullable(),
    timings: z.record(z.string(), z.number()).nullable(),
    cost_charged: z.number(),
    created_at: z.string(),
  })
  .openapi("AuditRecord");

const AuditListSchema = z
  .object({
    object: z.literal("list"),
    data: z.array(AuditRecordSchema),
    next_before: z.number().nullable(),
  })
  .openapi("AuditList");

function present(r: AuditRow): z.infer<typeof AuditRecordSchema> {
  return {
    id: r.id,
    request_id: r.requestId,
    tenant_id: r.tenantId,
    key_id: r.keyId,
    route: r.route,
    tier: r.tier,
    params: r.params,
    prompt_sha256: r.promptSha256,
    safety_decision: r.safetyDecision,
    safety_category: r.safetyCategory,
    policy_version: r.policyVersion,
    region: r.region,
    status: r.status,
    error_code: r.errorCode,
    timings: r.timings,
    cost_charged: r.costCharged,
    created_at: r.createdAt.toISOString(),
  };
}

const listAudit = createRoute({
  method: "get",
  path: "/admin/audit",
  summary: "List audit records",
  security: ADMIN_SECURITY,
  request: { query: AuditQuerySchema },
  responses: {
    200: { description: "Audit records, newest first", content: json(AuditListSchema) },
    ...errorResponses("invalid_request", "invalid_api_key"),
  },
});

export const adminAudit = newRouter().openapi(listAudit, async (c) => {
  const query = c.req.valid("query");
  const rows = await c.var.services.audit.list({
    tenantId: query.tenant_id,
    limit: query.limit,
    before: query.before,
  });
  const last = rows.at(-1);
  return c.json(
    {
      object: "list" as const,
      data: rows.map(present),
      next_before: rows.length === query.limit && last ? last.id : null,
    },
    200,
  );
});
