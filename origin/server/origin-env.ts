// The origin's one Hono environment type.
export type OriginEnv = {
  Variables: {
    requestId: string;
    /** The body as received (read-body.ts): what the signature covers. */
    bodyBytes: Uint8Array;
    /** The same body as text, once its signature checked. */
    rawBody: string;
    /** Set once a generate request has parsed, so metrics can label by tier. */
    tier: string;
  };
};
