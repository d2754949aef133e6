// DurableTenantGate's carried settlements, against a scripted object stub (the object itself: tenant-gate-do.test.ts).
import { describe, expect, it } from "vitest";
import { carriedSettlements, DurableTenantGate } from "./durable-tenant-gate";
import type { AdmitRequest, CarriedSettlement, TenantLimits } from "./tenant-gate";
import type { TenantGate } from "./tenant-gate-do";

const LIMITS: TenantLimits = {
  rate_limit_per_minute: 100,
  max_concurrency: 1,
  monthly_image_quota: 100,
};

const request = (requestId: string): AdmitRequest => ({
  requestId,
  images: 1,
  unitsPerImage: 1,
  leaseMs: 60_000,
  limits: LIMITS,
});

const SETTLED = { status: "settled", chargedImages: 1, refundedImages: 0, chargedUnits: 1 };

/** A namespace whose one stub records what each call carried; settle calls finish when told to. */
function scriptedGate() {
  const carriedBy: Record<string, CarriedSettlement[]> = {};
  const pendingSettles: Array<{ finish: () => void; fail: (error: Error) => void }> = [];
  const stub = {
    async admit(req: AdmitRequest, carried: CarriedSettlement[]) {
      carriedBy[req.requestId] = carried;
      return { ok: true };
    },
    async usage(_limits: TenantLimits, carried: CarriedSettlement[]) {
      carriedBy.usage = carried;
      return {};
    },
    settle() {
      return new Promise((resolve, reject) => {
        pendingSettles.push({ finish: () => resolve(SETTLED), fail: reject });
      });
    },
  };
  const namespace = { idFromName: (name: string) => name, get: () => stub };
  const gate = new DurableTenantGate(namespace as unknown as DurableObjectNamespace<TenantGate>);
  return { gate, carriedBy, pendingSettles };
}

describe("DurableTenantGate carried settlements", () => {
  it("carries an unacknowledged settlement into the next admit, and stops once the gate has it", async () => {
    const { gate, carriedBy, pendingSettles } = scriptedGate();
    const settling = gate.settle("t-a", "gen-1", 1);
    await gate.admit("t-a", request("gen-2"));
    expect(carriedBy["gen-2"]).toEqual([{ requestId: "gen-1", deliveredImages: 1 }]);
    // The admit that carried it succeeded: the gate has applied it.
    expect(carriedSettlements("t-a")).toBe(0);
    pendingSettles[0]?.finish();
    expect(await settling).toEqual(SETTLED);
    await gate.admit("t-a", request("gen-3"));
    expect(carriedBy["gen-3"]).toEqual([]);
  });

  it("stops carrying once the settlement's own call is acknowledged", async () => {
    const { gate, carriedBy, pendingSettles } = scriptedGate();
    const settling = gate.settle("t-b", "gen-1", 0);
    expect(carriedSettlements("t-b")).toBe(1);
    pendingSettles[0]?.finish();
    await settling;
    expect(carriedSettlements("t-b")).toBe(0);
    await gate.admit("t-b", request("gen-2"));
    expect(carriedBy["gen-2"]).toEqual([]);
  });

  it("keeps carrying a settlement whose call failed until a later call delivers it", async () => {
    const { gate, carriedBy, pendingSettles } = scriptedGate();
    const settling = gate.settle("t-c", "gen-1", 2);
    pendingSettles[0]?.fail(new Error("network connection lost"));
    await expect(settling).rejects.toThrow("network connection lost");
    expect(carriedSettlements("t-c")).toBe(1);
    await gate.usage("t-c", LIMITS);
    expect(carriedBy.usage).toEqual([{ requestId: "gen-1", deliveredImages: 2 }]);
    expect(carriedSettlements("t-c")).toBe(0);
  });

  it("carries a tenant's settlements only to that tenant's gate", async () => {
    const { gate, carriedBy } = scriptedGate();
    void gate.settle("t-d", "gen-1", 1);
    await gate.admit("t-e", request("gen-2"));
    expect(carriedBy["gen-2"]).toEqual([]);
    expect(carriedSettlements("t-d")).toBe(1);
  });
});
