// The router every route file starts from: OpenAPIHono on AppEnv with validation through ApiError.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import { METHOD_NAME_ALL } from "hono/router";
import { ErrorBodySchema, type ErrorCode, statusOf } from "../../protocol/errors";
import type { AppEnv } from "../env";
import { validationHook } from "../errors/error-handler";
import { StaticRouteCache } from "./static-route-cache";

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router: new StaticRouteCache() });
}

/**
 * The methods the app's routes take `path` under, for a 405's Allow: HEAD beside GET (Hono serves
 * HEAD with GET's routes). Middleware (`use`, method ALL) is not a route.
 */
export function allowedMethods(app: OpenAPIHono<AppEnv>, path: string): string[] {
  const router = app.router;
  if (!(router instanceof StaticRouteCache)) throw new Error("the app must route with newRouter()");
  const methods = router.methodsServing(path, ([, route]) => route.method !== METHOD_NAME_ALL);
  return methods.flatMap((method) => (method === "GET" ? ["GET", "HEAD"] : [method]));
}

/**
 * Codes a route gives whenever it gives the first, because one check answers all of them: a route
 * lists the first and its document shows every code it can send.
 */
const ANSWERED_TOGETHER: Partial<Record<ErrorCode, readonly ErrorCode[]>> = {
  // The Bearer check (API key or admin token): no credential, or a wrong one.
  invalid_api_key: ["missing_api_key"],
  missing_api_key: ["invalid_api_key"],
  // TenantGate admission refuses on the rate, the tenant's concurrency or its monthly quota.
  rate_limit_exceeded: ["concurrency_limit", "insufficient_quota"],
  // A route that calls an origin passes on the origin's own 429.
  upstream_error: ["overloaded"],
};

const errorBodyWith = (codes: readonly ErrorCode[]) =>
  z.object({
    error: ErrorBodySchema.shape.error.extend({
      code: z.enum(codes as [ErrorCode, ...ErrorCode[]]),
    }),
  });

/** OpenAPI entries for the error responses a route can give, in the one shape, each code listed. */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes.flatMap((c) => [c, ...(ANSWERED_TOGETHER[c] ?? [])]))) {
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<number, { description: string; content: object }> = {};
  for (const [status, listed] of byStatus) {
    responses[status] = { description: listed.join(", "), content: json(errorBodyWith(listed)) };
  }
  return responses;
}

export const ADMIN_SECURITY = [{ adminToken: [] }];
export const API_KEY_SECURITY = [{ apiKey: [] }];

export const json = <T>(schema: T) => ({ "application/json": { schema } });
