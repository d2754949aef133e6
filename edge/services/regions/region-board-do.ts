// RegionBoard Durable Object (one, idFromName("global")): origin health, load and circuit breakers for every isolate.
import { DurableObject } from "cloudflare:workers";

/** Skeleton: filled in by the regions work (issue 5). Requires `new_sqlite_classes = ["RegionBoard"]`. */
export class RegionBoard extends DurableObject<unknown> {}
