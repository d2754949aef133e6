// Records every request's outcome (admitted, rejected or failed) as one audit record, after the response.
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "../env";
import { AuditDraft } from "../services/audit/audit-draft";

export interface AuditTrailOptions {
  /** Paths not worth a D1 write per hit (docs, health probes). */
  skip?: (path: string) => boolean;
}

export function auditTrail(options: AuditTrailOptions = {}) {
  return createMiddleware<AppEnv>(async function auditTrail(c, next) {
    if (options.skip?.(c.req.path)) return next();
    const draft = new AuditDraft(c.get("requestId"), Date.now());
    c.set("audit", draft);
    // A client that hangs up cancels the invocation, and with it whatever is not in waitUntil:
    // the handler's own settlement (its slot and quota held until the lease ends) and this
    // record. Held in waitUntil, both still run (Workers allow 30 s after a disconnect).
    // Errors never reach here: Hono's compose has already rendered them into c.res via onError.
    const handled = next();
    c.executionCtx.waitUntil(handled.catch(() => {}));
    await handled;
    const pattern = routePath(c, -1);
    // A wildcard means no route matched: keep the (bounded) raw path so probes are visible.
    const path = pattern.includes("*") || pattern === "" ? c.req.path.slice(0, 200) : pattern;
    const status = c.res.status;
    const submit = () =>
      c
        .get("services")
        .audit.submit(
          draft.finish({ route: `${c.req.method} ${path}`, status, finishedAt: Date.now() }),
        );
    const hold = draft.hold;
    if (hold) c.executionCtx.waitUntil(hold.then(submit));
    else submit();
  });
}
