// Builds the request's services from its bindings into `c.var.services`.
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { servicesFromEnv } from "../services/services";

export function init() {
  return createMiddleware<AppEnv>(async function init(c, next) {
    const ctx = c.executionCtx;
    c.set(
      "services",
      servicesFromEnv(c.env, (promise) => ctx.waitUntil(promise)),
    );
    await next();
  });
}
