// Admin: the origins registry and its health (POST/GET /admin/origins, GET/PATCH/DELETE /admin/origins/{region}, POST /admin/origins/probe).
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors/api-error";
import type { OriginHealth } from "../services/regions/board-store";
import { forgetRegion, purgeBoardSnapshot } from "../services/regions/board-view";
import { probeAndPublish } from "../services/regions/origin-probe";
import type { RegisteredOrigin } from "../services/regions/origin-registry";
import {
  CreateOriginSchema,
  DeletedOriginSchema,
  OriginListSchema,
  OriginParams,
  OriginSchema,
  OriginWithHealthSchema,
  PatchOriginSchema,
  presentHealth,
  presentOrigin,
  toPatch,
} from "./admin-origins-schema";
import { ADMIN_SECURITY, errorResponses, json, newRouter } from "./router";

const originNotFound = (region: string) =>
  new ApiError("not_found", `No origin with region '${region}'.`, { param: "region" });

const ADMIN_ERRORS = ["invalid_api_key", "unsupported_media_type"] as const;

const createOrigin = createRoute({
  method: "post",
  path: "/admin/origins",
  summary: "Register an origin (takes traffic at once when active)",
  security: ADMIN_SECURITY,
  request: { body: { content: json(CreateOriginSchema), required: true } },
  responses: {
    201: { description: "The registered origin", content: json(OriginSchema) },
    ...errorResponses("invalid_request", "conflict", ...ADMIN_ERRORS),
  },
});

const listOrigins = createRoute({
  method: "get",
  path: "/admin/origins",
  summary: "List registered origins with their health, load and circuit breaker",
  security: ADMIN_SECURITY,
  responses: {
    200: { description: "Every registered origin", content: json(OriginListSchema) },
    ...errorResponses("invalid_api_key"),
  },
});

const probeOrigins = createRoute({
  method: "post",
  path: "/admin/origins/probe",
  summary: "Run the active health probe now (what the cron runs) and list the result",
  security: ADMIN_SECURITY,
  responses: {
    200: {
      description: "Every registered origin, freshly probed",
      content: json(OriginListSchema),
    },
    ...errorResponses("invalid_api_key"),
  },
});

const getOrigin = createRoute({
  method: "get",
  path: "/admin/origins/{region}",
  summary: "Read one origin with its health",
  security: ADMIN_SECURITY,
  request: { params: OriginParams },
  responses: {
    200: { description: "The origin", content: json(OriginWithHealthSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

const patchOrigin = createRoute({
  method: "patch",
  path: "/admin/origins/{region}",
  summary: "Change an origin's URL, placement, weight, models or state (drain: state 'draining')",
  security: ADMIN_SECURITY,
  request: { params: OriginParams, body: { content: json(PatchOriginSchema), required: true } },
  responses: {
    200: { description: "The updated origin", content: json(OriginSchema) },
    ...errorResponses("invalid_request", "not_found", ...ADMIN_ERRORS),
  },
});

const deleteOrigin = createRoute({
  method: "delete",
  path: "/admin/origins/{region}",
  summary: "Remove an origin from the registry",
  security: ADMIN_SECURITY,
  request: { params: OriginParams },
  responses: {
    200: { description: "Removed", content: json(DeletedOriginSchema) },
    ...errorResponses("invalid_api_key", "not_found"),
  },
});

export const adminOrigins = newRouter()
  .openapi(createOrigin, async (c) => {
    const body = c.req.valid("json");
    requireTls(c, body.url);
    const created = await c.var.services.originRegistry.create(body);
    if (!created.ok) {
      throw new ApiError("conflict", `An origin with region '${body.region}' already exists.`, {
        param: "region",
      });
    }
    return c.json(presentOrigin(created.origin), 201);
  })
  .openapi(listOrigins, async (c) => c.json(await listWithHealth(c), 200))
  .openapi(probeOrigins, async (c) => {
    const services = c.var.services;
    await probeAndPublish(services.originRegistry, services.regionBoard, {
      secret: c.env.ORIGIN_SHARED_SECRET,
    });
    purgeBoardSnapshot();
    return c.json(await listWithHealth(c), 200);
  })
  .openapi(getOrigin, async (c) => {
    const { region } = c.req.valid("param");
    const origin = await c.var.services.originRegistry.get(region);
    if (!origin) throw originNotFound(region);
    const [withHealth] = await attachHealth(c, [origin]);
    return c.json(withHealth!, 200);
  })
  .openapi(patchOrigin, async (c) => {
    const { region } = c.req.valid("param");
    const patch = toPatch(c.req.valid("json"));
    requireTls(c, patch.url);
    const origin = await c.var.services.originRegistry.update(region, patch);
    if (!origin) throw originNotFound(region);
    return c.json(presentOrigin(origin), 200);
  })
  .openapi(deleteOrigin, async (c) => {
    const { region } = c.req.valid("param");
    const services = c.var.services;
    if (!(await services.originRegistry.remove(region))) throw originNotFound(region);
    await services.regionBoard.forget(region);
    forgetRegion(region);
    return c.json({ region, deleted: true as const }, 200);
  });

/** A literal 127.x.y.z: the URL parser has already turned any IPv4 form (`127.1`, `0x7f.1`) into
 *  four decimal octets, while a name like `127.example.com` stays a name and does not match. */
const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * Outside development an origin is reached over https: the signed calls carry prompts and images,
 * and plain http would show them (and a replayable signature) to every network on the way.
 * Loopback stays allowed (`localhost`, `[::1]`, 127.x.y.z), for an origin beside the edge behind
 * its own TLS.
 */
function requireTls(c: Context<AppEnv>, url: string | undefined): void {
  if (url === undefined || c.env.ENVIRONMENT === "development") return;
  const { protocol, hostname } = new URL(url);
  const loopback = hostname === "localhost" || hostname === "[::1]" || LOOPBACK_IPV4.test(hostname);
  if (protocol === "https:" || loopback) return;
  throw new ApiError(
    "invalid_request",
    "Origin URLs must use https outside development: the calls carry prompts and images.",
    { param: "url" },
  );
}

async function listWithHealth(c: Context<AppEnv>) {
  const origins = await c.var.services.originRegistry.list();
  return { object: "list" as const, data: await attachHealth(c, origins) };
}

/** Health straight from the board (never an isolate's cached snapshot): admins see the truth. */
async function attachHealth(c: Context<AppEnv>, origins: readonly RegisteredOrigin[]) {
  const services = c.var.services;
  const snapshot = await services.regionBoard.snapshot();
  const byRegion = new Map<string, OriginHealth>(snapshot.origins.map((o) => [o.region, o]));
  return origins.map((o) => ({
    ...presentOrigin(o),
    health: presentHealth(byRegion.get(o.region), services.breakerPolicy, snapshot.at),
  }));
}
