// The Worker entry: the Hono app as the fetch handler, plus the Durable Object classes it binds.
import { createApp } from "./app";

export { TenantGate } from "./services/tenant-gate/tenant-gate-do";

export default createApp();
