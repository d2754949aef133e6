// POST /internal/v1/attach: pick up a detached streamed run's events again (see detach_grace_ms).
import { Hono } from "hono";
import { describeZodError } from "../../../protocol/errors";
import { AttachRequestSchema } from "../../../protocol/generate";
import type { DetachedRuns } from "../detached-runs";
import type { OriginMetrics } from "../metrics";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import { PeerForwarder } from "../peer-forward";
import { reattachStream } from "./generate-stream";

export function attachRoute(
  detached: DetachedRuns,
  metrics: OriginMetrics,
  keepaliveMs?: number,
  peers?: PeerForwarder,
) {
  return new Hono<OriginEnv>().post("/", async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(c.get("rawBody"));
    } catch {
      throw new OriginError("invalid_request", "Request body is not valid JSON.");
    }
    const parsed = AttachRequestSchema.safeParse(json);
    if (!parsed.success) {
      const { message, param } = describeZodError(parsed.error);
      throw new OriginError("invalid_request", message, param);
    }
    const { request_id, after } = parsed.data;
    const relay = detached.get(request_id);
    if (!relay) {
      // Another pod of this region may run it (the load balancer chose this one).
      const asked = peers && PeerForwarder.mayForward(c) ? await peers.forward(c) : null;
      if (asked?.kind === "answer") {
        metrics.attaches.inc({ outcome: "forwarded" });
        return asked.response;
      }
      if (asked?.kind === "unsure") {
        throw new OriginError(
          "not_ready",
          "This pod does not run that request, and not every peer pod answered; retry.",
          null,
          1,
        );
      }
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
