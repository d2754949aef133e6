// The edge→origin signing secret: missing here, or refused there, is an operator's fix, said in the log.

const FIX =
  "Set the same ORIGIN_SHARED_SECRET on the edge (wrangler secret put ORIGIN_SHARED_SECRET) and on every origin.";

let missingLogged = false;

/** False (logged once per isolate) when the edge has no secret to sign with: nothing is sent, since
 *  every origin would refuse an empty-key signature anyway, and calling them would only trip breakers. */
export function hasOriginSecret(secret: string | undefined): secret is string {
  if (secret) return true;
  if (!missingLogged) {
    missingLogged = true;
    console.error(
      JSON.stringify({
        level: "error",
        msg: "ORIGIN_SHARED_SECRET is not set on the edge",
        fix: FIX,
      }),
    );
  }
  return false;
}

/** An origin's 401 `invalid_signature`: its secret is not the edge's. The region is unusable until
 *  fixed, so it is the region's failure (the next region is tried), not the request's. */
export function isRefusedSignature(status: number, code: string | null): boolean {
  return status === 401 && code === "invalid_signature";
}

export function logRefusedSignature(region: string): void {
  console.error(
    JSON.stringify({
      level: "error",
      msg: "origin refused the edge's signature",
      region,
      fix: `${FIX} Check the origin's clock too: signatures are valid for 60 s.`,
    }),
  );
}
