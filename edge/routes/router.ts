// The router every route file starts from: OpenAPIHono on AppEnv with validation through ApiError.
import { OpenAPIHono } from "@hono/zod-openapi";
import { ErrorBodySchema, type ErrorCode, statusOf } from "../../protocol/errors";
import type { AppEnv } from "../env";
import { validationHook } from "../errors/error-handler";
import { StaticRouteCache } from "./static-route-cache";

export function newRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook, router: new StaticRouteCache() });
}

/** OpenAPI entries for the error responses a route can give, in the one documented shape. */
export function errorResponses(...codes: ErrorCode[]) {
  const byStatus: Record<number, { description: string; content: object }> = {};
  for (const code of codes) {
    const status = statusOf(code);
    const existing = byStatus[status];
    byStatus[status] = {
      description: existing ? `${existing.description}, ${code}` : code,
      content: { "application/json": { schema: ErrorBodySchema } },
    };
  }
  return byStatus;
}

export const ADMIN_SECURITY = [{ adminToken: [] }];
export const API_KEY_SECURITY = [{ apiKey: [] }];

export const json = <T>(schema: T) => ({ "application/json": { schema } });
