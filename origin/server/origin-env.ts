// The origin's one Hono environment type.
export type OriginEnv = {
  Variables: {
    requestId: string;
    rawBody: string;
    /** Set once a generate request has parsed, so metrics can label by tier. */
    tier: string;
  };
};
