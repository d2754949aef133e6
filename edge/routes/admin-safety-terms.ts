// Admin: a tenant's own blocked terms (GET/POST /admin/tenants/{id}/safety-terms, DELETE …/{term_id}).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import { SAFETY_CATEGORIES, tenantSafetyAdditionsSchema } from "../safety";
import { foldTerm } from "../safety/normalize-prompt";
import { MAX_TENANT_TERMS } from "../safety/tenant-policy";
import type {
  D1SafetyTermStore,
  StoredSafetyTerm,
} from "../services/safety-terms/safety-term-store";
import { SAFETY_TERMS_TTL_MS } from "../services/safety-terms/tenant-safety-terms";
import { tenantNotFound } from "./admin-tenants";
import { ADMIN_SECURITY, errorResponses, json, newRouter } from "./router";

// The element the policy compiler validates each stored term with: what passes here compiles.
const termShape = tenantSafetyAdditionsSchema.shape.tenantTerms.element.shape;

const CreateSafetyTermSchema = z
  .strictObject({
    category: termShape.category,
    // The compiler's own schema, built with plain zod: it carries no .openapi() of its own.
    term: termShape.term,
  })
  .openapi("CreateSafetyTerm", {
    description:
      "`term` is matched on word boundaries after the prefilter's folding (case, accents, look-alikes, leetspeak); it must keep a letter or digit.",
  });

const SafetyTermSchema = z
  .object({
    id: z.number().int(),
    object: z.literal("safety_term"),
    category: z.string().openapi({ description: `One of ${SAFETY_CATEGORIES.join(", ")}` }),
    term: z.string(),
    created_at: z.string(),
  })
  .openapi("SafetyTerm");

const SafetyTermListSchema = z
  .object({ object: z.literal("list"), data: z.array(SafetyTermSchema) })
  .openapi("SafetyTermList");

const DeletedSafetyTermSchema = z
  .object({ id: z.number().int(), object: z.literal("safety_term"), deleted: z.literal(true) })
  .openapi("DeletedSafetyTerm");

const TenantParams = z.object({ id: z.string().min(1).max(64) });
const TermParams = TenantParams.extend({ term_id: z.string().min(1).max(64) });

const TTL_NOTE = `Applies at once in the isolate that served this call and within ${SAFETY_TERMS_TTL_MS / 1000} s (the terms cache TTL) everywhere else.`;

const listTerms = createRoute({
  method: "get",
  path: "/admin/tenants/{id}/safety-terms",
  summary: "List a tenant's own blocked terms",
  security: ADMIN_SECURITY,
  request: { params: TenantParams },
  responses: {
    200: { description: "The tenant's terms, oldest first", content: json(SafetyTermListSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

const addTerm = createRoute({
  method: "post",
  path: "/admin/tenants/{id}/safety-terms",
  summary: "Block a term for a tenant's prompts",
  description: `At most ${MAX_TENANT_TERMS} terms per tenant (the policy compiler's limit). The same term (after folding) twice in one category is a 409 naming the existing id. ${TTL_NOTE}`,
  security: ADMIN_SECURITY,
  request: {
    params: TenantParams,
    body: { content: json(CreateSafetyTermSchema), required: true },
  },
  responses: {
    201: { description: "The new term", content: json(SafetyTermSchema) },
    ...errorResponses(
      "invalid_request",
      "invalid_api_key",
      "not_found",
      "conflict",
      "unsupported_media_type",
    ),
  },
});

const deleteTerm = createRoute({
  method: "delete",
  path: "/admin/tenants/{id}/safety-terms/{term_id}",
  summary: "Unblock one of a tenant's terms",
  description: TTL_NOTE,
  security: ADMIN_SECURITY,
  request: { params: TermParams },
  responses: {
    200: { description: "Removed", content: json(DeletedSafetyTermSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

function present(t: StoredSafetyTerm): z.infer<typeof SafetyTermSchema> {
  return {
    id: t.id,
    object: "safety_term",
    category: t.category,
    term: t.term,
    created_at: t.createdAt.toISOString(),
  };
}

/** The store, after making sure the tenant exists (404 otherwise). */
async function storeFor(c: Context<AppEnv>, tenantId: string): Promise<D1SafetyTermStore> {
  const services = c.get("services");
  if (!(await services.tenants.get(tenantId))) throw tenantNotFound(tenantId);
  return services.safetyTermStore;
}

const termNotFound = (id: string) =>
  new ApiError("not_found", `No safety term with id '${id}' for this tenant.`, {
    param: "term_id",
  });

export const adminSafetyTerms = newRouter()
  .openapi(listTerms, async (c) => {
    const { id } = c.req.valid("param");
    const terms = await (await storeFor(c, id)).list(id);
    return c.json({ object: "list" as const, data: terms.map(present) }, 200);
  })
  .openapi(addTerm, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const result = await (await storeFor(c, id)).add(id, body);
    c.var.audit.note({ tenantId: id });
    if (result.ok) return c.json(present(result.term), 201);
    if (result.reason === "duplicate") {
      const message = `This tenant already blocks '${foldTerm(body.term)}' under '${body.category}' (term id ${result.existing.id}).`;
      throw new ApiError("conflict", message, { param: "term" });
    }
    const message = `This tenant already has ${MAX_TENANT_TERMS} safety terms, the most its policy can hold; delete one first.`;
    throw new ApiError("invalid_request", message, { param: "term" });
  })
  .openapi(deleteTerm, async (c) => {
    const { id, term_id } = c.req.valid("param");
    const store = await storeFor(c, id);
    const termId = /^[1-9]\d{0,14}$/.test(term_id) ? Number(term_id) : null;
    if (termId === null || !(await store.remove(id, termId))) throw termNotFound(term_id);
    c.var.audit.note({ tenantId: id });
    return c.json({ id: termId, object: "safety_term" as const, deleted: true as const }, 200);
  });
