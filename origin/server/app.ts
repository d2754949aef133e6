// The origin's HTTP surface: unsigned probes, and signed /internal/v1/* behind size and type checks.
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import { errorBody } from "../../protocol/errors";
import type { BenchNullImage } from "./bench-null-image";
import { DetachedRuns } from "./detached-runs";
import type { OriginMetrics } from "./metrics";
import type { OriginEnv } from "./origin-env";
import { OriginError } from "./origin-error";
import type { OriginState } from "./origin-state";
import type { PeerForwarder } from "./peer-forward";
import { readBody } from "./read-body";
import type { ReplayGuard } from "./replay-guard";
import type { RequestLedger } from "./request-ledger";
import { attachRoute } from "./routes/attach";
import { cancelRoute } from "./routes/cancel";
import { generateRoute } from "./routes/generate";
import { healthRoutes } from "./routes/health";
import { loadRoute } from "./routes/load";
import { verifySignatureMiddleware } from "./verify-signature";

export const MAX_BODY_BYTES = 64 * 1024;

export interface OriginAppDeps {
  state: OriginState;
  metrics: OriginMetrics;
  replay: ReplayGuard;
  ledger: RequestLedger;
  /** Detachable streamed runs; a fresh registry when absent. */
  detached?: DetachedRuns;
  /** How often a silent event stream gets a keepalive comment (default SSE_KEEPALIVE_MS; tests). */
  sseKeepaliveMs?: number;
  /** The region's other pods: a cancel or attach for a run one of them holds is passed on. */
  peers?: PeerForwarder | undefined;
  region: string;
  secrets: readonly string[];
  nowSeconds?: () => number;
  /** BENCHMARK-ONLY null-origin mode; see bench-null-image.ts. */
  benchNullImage?: BenchNullImage | undefined;
}

const requireJson = createMiddleware<OriginEnv>(async function requireJson(c, next) {
  if (
    c.req.method === "POST" &&
    !/^application\/json\b/i.test(c.req.header("content-type") ?? "")
  ) {
    throw new OriginError("unsupported_media_type", "Content-Type must be application/json.");
  }
  await next();
});

const countRequests = (metrics: OriginMetrics) =>
  createMiddleware<OriginEnv>(async function countRequests(c, next) {
    await next();
    metrics.requests.inc({ tier: c.get("tier") ?? "unknown", status: String(c.res.status) });
  });

export function createOriginApp(deps: OriginAppDeps) {
  const app = new Hono<OriginEnv>();
  app.use(requestId({ headerName: "x-request-id" }));
  app.route("/", healthRoutes(deps.state, deps.metrics));
  app.use("/internal/*", countRequests(deps.metrics));
  app.use("/internal/*", readBody(MAX_BODY_BYTES));
  app.use("/internal/*", verifySignatureMiddleware(deps.secrets, deps.replay, deps.nowSeconds));
  app.use("/internal/*", requireJson);
  const detached = deps.detached ?? new DetachedRuns((size) => deps.metrics.detachedRuns.set(size));
  app.route("/internal/v1/generate", generateRoute({ ...deps, detached }));
  app.route(
    "/internal/v1/attach",
    attachRoute(detached, deps.metrics, deps.sseKeepaliveMs, deps.peers),
  );
  app.route("/internal/v1/load", loadRoute(deps.state, deps.region));
  app.route("/internal/v1/cancel", cancelRoute(deps.state, deps.peers));
  app.notFound((c) =>
    c.json(
      errorBody("not_found", `No route ${c.req.method} ${c.req.path}.`, null, c.get("requestId")),
      404,
    ),
  );
  app.onError((error, c) => {
    const known = error instanceof OriginError ? error : null;
    if (!known) console.error("origin: unexpected error", error);
    const e =
      known ?? new OriginError("internal_error", "Internal error; the request can be retried.");
    if (e.retryAfterSeconds !== null) c.header("retry-after", String(e.retryAfterSeconds));
    return c.json(e.body(c.get("requestId") ?? null), e.status);
  });
  return app;
}
