// POST /internal/v1/cancel: stop a queued or running job; its rows leave at the next step boundary.
// One this pod does not hold is passed on to its peers (DARKROOM_PEERS).
import { Hono } from "hono";
import { CancelRequestSchema } from "../../../protocol/generate";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import type { OriginState } from "../origin-state";
import { parseJsonBody } from "../parse-body";
import { PeerForwarder, peersUnsure } from "../peer-forward";

export function cancelRoute(state: OriginState, peers?: PeerForwarder) {
  return new Hono<OriginEnv>().post("/", async (c) => {
    const { request_id } = parseJsonBody(c.get("rawBody"), CancelRequestSchema);
    const canceled = state.loaded()?.scheduler.cancel(request_id) ?? false;
    // Another pod of this region may run it (the load balancer chose this one).
    const asked = !canceled && peers && PeerForwarder.mayForward(c) ? await peers.forward(c) : null;
    if (asked?.kind === "answer") return asked.response;
    if (asked?.kind === "unsure") throw peersUnsure();
    if (!canceled)
      throw new OriginError(
        "not_found",
        "No queued or running job with that request_id.",
        "request_id",
      );
    return c.json({ request_id: request_id, canceled: true });
  });
}
