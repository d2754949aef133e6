// POST /internal/v1/cancel: stop a queued or running job; its rows leave at the next step boundary.
// One this pod does not hold is passed on to its peers (DARKROOM_PEERS).
import { Hono } from "hono";
import { describeZodError } from "../../../protocol/errors";
import { CancelRequestSchema } from "../../../protocol/generate";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import type { OriginState } from "../origin-state";
import { PeerForwarder } from "../peer-forward";

export function cancelRoute(state: OriginState, peers?: PeerForwarder) {
  return new Hono<OriginEnv>().post("/", async (c) => {
    let json: unknown;
    try {
      json = JSON.parse(c.get("rawBody"));
    } catch {
      throw new OriginError("invalid_request", "Request body is not valid JSON.");
    }
    const parsed = CancelRequestSchema.safeParse(json);
    if (!parsed.success) {
      const { message, param } = describeZodError(parsed.error);
      throw new OriginError("invalid_request", message, param);
    }
    const canceled = state.loaded()?.scheduler.cancel(parsed.data.request_id) ?? false;
    // Another pod of this region may run it (the load balancer chose this one).
    const asked = !canceled && peers && PeerForwarder.mayForward(c) ? await peers.forward(c) : null;
    if (asked?.kind === "answer") return asked.response;
    if (asked?.kind === "unsure") {
      throw new OriginError(
        "not_ready",
        "This pod does not run that request, and not every peer pod answered; retry.",
        null,
        1,
      );
    }
    if (!canceled)
      throw new OriginError(
        "not_found",
        "No queued or running job with that request_id.",
        "request_id",
      );
    return c.json({ request_id: parsed.data.request_id, canceled: true });
  });
}
