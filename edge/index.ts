// The Worker entry: the Hono app as the fetch handler, plus the Durable Object classes it binds.
import { createApp } from "./app";

export { GenerationJob } from "./services/jobs/generation-job-do";
export { RegionBoard } from "./services/regions/region-board-do";
export { TenantGate } from "./services/tenant-gate/tenant-gate-do";

export default createApp();
