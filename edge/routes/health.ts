// Liveness probe for load balancers and the local stack (GET /healthz); no auth, no audit.
import { newRouter } from "./router";

export const health = newRouter().get("/healthz", (c) => c.json({ ok: true }));
