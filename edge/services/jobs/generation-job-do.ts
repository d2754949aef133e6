// GenerationJob Durable Object (one per job, idFromName(jobId)): an async job's state, events and results.
import { DurableObject } from "cloudflare:workers";

/** Skeleton: filled in by the jobs work (issue 6). Requires `new_sqlite_classes = ["GenerationJob"]`. */
export class GenerationJob extends DurableObject<unknown> {}
