// A minimal Worker for runtime tests: exports the TenantGate class and drives DurableTenantGate over JSON.
import { DurableTenantGate } from "../durable-tenant-gate";
import type { AdmitRequest, CarriedSettlement, TenantLimits } from "../tenant-gate";
import type { TenantGate } from "../tenant-gate-do";

export { TenantGate } from "../tenant-gate-do";

interface Env {
  TENANT_GATE: DurableObjectNamespace<TenantGate>;
}

type Call =
  | { op: "admit"; tenantId: string; request: AdmitRequest }
  | { op: "admit-burst"; tenantId: string; requests: AdmitRequest[] }
  | { op: "settle"; tenantId: string; requestId: string; deliveredImages: number }
  | { op: "usage"; tenantId: string; limits: TenantLimits }
  // Straight to the object's RPC method, carrying settlements as an isolate would.
  | { op: "admit-carrying"; tenantId: string; request: AdmitRequest; carried: CarriedSettlement[] };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const gate = new DurableTenantGate(env.TENANT_GATE);
    const call = await request.json<Call>();
    switch (call.op) {
      case "admit":
        return Response.json(await gate.admit(call.tenantId, call.request));
      // Fired from inside the Worker, so all calls are in flight at the object together.
      case "admit-burst":
        return Response.json(
          await Promise.all(call.requests.map((r) => gate.admit(call.tenantId, r))),
        );
      case "settle":
        return Response.json(
          await gate.settle(call.tenantId, call.requestId, call.deliveredImages),
        );
      case "usage":
        return Response.json(await gate.usage(call.tenantId, call.limits));
      case "admit-carrying": {
        const stub = env.TENANT_GATE.get(env.TENANT_GATE.idFromName(call.tenantId));
        return Response.json(await stub.admit(call.request, call.carried));
      }
    }
  },
};
