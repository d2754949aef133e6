// POST /internal/v1/attach: pick up a detached streamed run's events again (see detach_grace_ms).
import { Hono } from "hono";
import { AttachRequestSchema } from "../../../protocol/generate";
import type { DetachedRuns } from "../detached-runs";
import type { OriginMetrics } from "../metrics";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import { parseJsonBody } from "../parse-body";
import { PeerForwarder, peersUnsure } from "../peer-forward";
import { reattachStream } from "./generate-stream";

export function attachRoute(
  detached: DetachedRuns,
  metrics: OriginMetrics,
  keepaliveMs?: number,
  peers?: PeerForwarder,
) {
  return new Hono<OriginEnv>().post("/", async (c) => {
    const { request_id, after } = parseJsonBody(c.get("rawBody"), AttachRequestSchema);
    const relay = detached.get(request_id);
    if (!relay) {
      // Another pod of this region may run it (the load balancer chose this one).
      const asked = peers && PeerForwarder.mayForward(c) ? await peers.forward(c) : null;
      if (asked?.kind === "answer") {
        metrics.attaches.inc({ outcome: "forwarded" });
        return asked.response;
      }
      if (asked?.kind === "unsure") throw peersUnsure();
      metrics.attaches.inc({ outcome: "not_found" });
      throw new OriginError(
        "not_found",
        "No detachable run with that request_id here: it was delivered, never asked for detach_grace_ms, ran past its grace without a reader, or this origin restarted.",
        "request_id",
      );
    }
    metrics.attaches.inc({ outcome: "attached" });
    detached.reattached(request_id);
    return reattachStream(c, relay, after, keepaliveMs);
  });
}
