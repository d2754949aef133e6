// The origins to call, from the ORIGINS binding: a JSON list of `{region, url}`, tried in order.
import { z } from "zod";

export interface OriginTarget {
  readonly region: string;
  readonly url: string;
}

const OriginsSchema = z.array(
  z.strictObject({
    region: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
    url: z.url({ protocol: /^https?$/ }),
  }),
);

const parsed = new Map<string, readonly OriginTarget[]>();

/**
 * Unset or malformed configuration yields no origins (logged once per isolate), so generation
 * answers 503 no_capacity instead of failing every request with a 500.
 */
export function parseOrigins(raw: string | undefined): readonly OriginTarget[] {
  const key = raw ?? "";
  const known = parsed.get(key);
  if (known) return known;
  let targets: readonly OriginTarget[] = [];
  try {
    const list = OriginsSchema.parse(JSON.parse(key));
    targets = Object.freeze(
      list.map((o) => ({ region: o.region, url: o.url.replace(/\/+$/, "") })),
    );
  } catch (error) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "ORIGINS is not a JSON list of {region, url}; no origin will be called",
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  parsed.set(key, targets);
  return targets;
}
