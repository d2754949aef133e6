// The edge Worker's Hono app: middleware in request-lifecycle order, then one router per resource.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import { notFound, onError } from "./errors/error-handler";
import { adminAuth } from "./middleware/admin-auth";
import { apiKeyAuth } from "./middleware/api-key-auth";
import { auditTrail } from "./middleware/audit-trail";
import { bodyLimit } from "./middleware/body-limit";
import { jsonContentType } from "./middleware/content-type";
import { init } from "./middleware/init";
import { requestId } from "./middleware/request-id";
import { adminAudit } from "./routes/admin-audit";
import { adminKeys } from "./routes/admin-keys";
import { adminOrigins } from "./routes/admin-origins";
import { adminSafetyTerms } from "./routes/admin-safety-terms";
import { adminTenants } from "./routes/admin-tenants";
import { mountApiDocs } from "./routes/api-docs";
import { health } from "./routes/health";
import { allowedMethods, newRouter } from "./routes/router";
import { v1Images } from "./routes/v1-images";
import { v1ImagesGenerations } from "./routes/v1-images-generations";
import { v1ImagesJobs } from "./routes/v1-images-jobs";
import { v1ImagesJobsEvents } from "./routes/v1-images-jobs-events";
import { v1ImagesUnsupported } from "./routes/v1-images-unsupported";
import { v1Models } from "./routes/v1-models";
import { v1Usage } from "./routes/v1-usage";
import { v1Webhooks } from "./routes/v1-webhooks";

const UNAUDITED = new Set(["/healthz", "/docs", "/openapi.json"]);

export function createApp(): OpenAPIHono<AppEnv> {
  const app = newRouter();
  app.onError(onError);
  // 405 with Allow where other methods have routes: worked out only once a request found none.
  app.notFound(notFound((path) => allowedMethods(app, path)));

  // Order matters: each step may reject, and everything after the audit trail gets recorded.
  app.use("*", requestId());
  app.use("*", init());
  app.use("*", auditTrail({ skip: (path) => UNAUDITED.has(path) }));
  // OpenAI's edits and variations: a 404 saying so, before their multipart uploads meet 413/415/401.
  app.route("/", v1ImagesUnsupported);
  app.use("*", bodyLimit());
  app.use("*", jsonContentType());
  // Behind these, a wrong method (405) is answered after the credential check, as an unknown path
  // (404) is: without a valid credential, no caller learns which paths exist.
  app.use("/admin/*", adminAuth());
  app.use("/v1/*", apiKeyAuth());
  // Generation (routes/v1-images-generations.ts) adds, in this order: zod validation → idempotency
  // lookup → safety prefilter → TenantGate admit (reservation) → signed origin call → settle →
  // idempotency store. Safety rejects before any reservation or origin call; each step notes into
  // c.var.audit.

  app.route("/", health);
  app.route("/", adminTenants);
  app.route("/", adminKeys);
  app.route("/", adminAudit);
  app.route("/", adminOrigins);
  app.route("/", adminSafetyTerms);
  app.route("/", v1Models);
  app.route("/", v1ImagesGenerations);
  app.route("/", v1ImagesJobs);
  app.route("/", v1ImagesJobsEvents);
  app.route("/", v1Images);
  app.route("/", v1Usage);
  app.route("/", v1Webhooks);
  mountApiDocs(app);
  return app;
}
