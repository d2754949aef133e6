// DurableTenantGate's carried settlements, against a scripted object stub (the object itself: tenant-gate-do.test.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
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
/** What the scripted gate answers for each settlement a call carries. */
const CARRIED = { status: "settled", chargedImages: 2, refundedImages: 0, chargedUnits: 6 };

/** A namespace whose one stub records what each call carried; settle calls finish when told to. */
function scriptedGate() {
  const carriedBy: Record<string, CarriedSettlement[]> = {};
  const pendingSettles: Array<{ finish: () => void; fail: (error: Error) => void }> = [];
  const outcomes = (carried: CarriedSettlement[]) =>
    carried.map(({ requestId }) => ({ requestId, result: CARRIED }));
  const stub = {
    async admit(req: AdmitRequest, carried: CarriedSettlement[]) {
      carriedBy[req.requestId] = carried;
      return { ok: true, carried: outcomes(carried) };
    },
    async usage(_limits: TenantLimits, carried: CarriedSettlement[]) {
      carriedBy.usage = carried;
      return { in_flight: 0, carried: outcomes(carried) };
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

  it("answers admit and usage without the carried outcomes", async () => {
    const { gate } = scriptedGate();
    void gate.settle("t-f", "gen-1", 1);
    expect(await gate.admit("t-f", request("gen-2"))).toEqual({ ok: true });
    void gate.settle("t-f", "gen-3", 1);
    expect(await gate.usage("t-f", LIMITS)).toEqual({ in_flight: 0 });
  });
});

describe("DurableTenantGate deferred settlements", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends no call of its own when a later admit carries it, and answers with what the gate did", async () => {
    vi.useFakeTimers();
    const { gate, carriedBy, pendingSettles } = scriptedGate();
    const settling = gate.settle("t-g", "gen-1", 2, { deferMs: 100 });
    await vi.advanceTimersByTimeAsync(40);
    await gate.admit("t-g", request("gen-2"));
    expect(carriedBy["gen-2"]).toEqual([{ requestId: "gen-1", deliveredImages: 2 }]);
    await vi.advanceTimersByTimeAsync(60);
    expect(await settling).toEqual(CARRIED);
    expect(pendingSettles).toHaveLength(0);
    expect(carriedSettlements("t-g")).toBe(0);
  });

  it("goes out on its own once the deferral ends with no call to carry it", async () => {
    vi.useFakeTimers();
    const { gate, pendingSettles } = scriptedGate();
    const settling = gate.settle("t-h", "gen-1", 1, { deferMs: 100 });
    await vi.advanceTimersByTimeAsync(99);
    expect(pendingSettles).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(pendingSettles).toHaveLength(1);
    pendingSettles[0]?.finish();
    expect(await settling).toEqual(SETTLED);
    expect(carriedSettlements("t-h")).toBe(0);
  });

  it("is delivered by a usage call as by an admit", async () => {
    vi.useFakeTimers();
    const { gate, pendingSettles } = scriptedGate();
    const settling = gate.settle("t-i", "gen-1", 2, { deferMs: 100 });
    await gate.usage("t-i", LIMITS);
    await vi.advanceTimersByTimeAsync(100);
    expect(await settling).toEqual(CARRIED);
    expect(pendingSettles).toHaveLength(0);
  });

  it("takes only its own tenant's carried outcome", async () => {
    vi.useFakeTimers();
    const { gate, pendingSettles } = scriptedGate();
    const settling = gate.settle("t-j", "gen-1", 1, { deferMs: 100 });
    void gate.settle("t-k", "gen-1", 1);
    await gate.admit("t-k", request("gen-2"));
    await vi.advanceTimersByTimeAsync(100);
    // t-k's admit carried t-k's gen-1, not t-j's: t-j's goes out on its own.
    expect(pendingSettles).toHaveLength(2);
    pendingSettles[1]?.finish();
    expect(await settling).toEqual(SETTLED);
  });
});
