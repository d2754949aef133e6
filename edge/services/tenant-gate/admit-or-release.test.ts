// admitOrRelease: an admit whose answer is lost releases the hold it may have taken.
import { describe, expect, it } from "vitest";
import { admitOrRelease, type TenantGateService } from "./tenant-gate";

const LIMITS = { rate_limit_per_minute: 10, max_concurrency: 1, monthly_image_quota: 10 };
const REQUEST = {
  requestId: "gen_1",
  images: 1,
  unitsPerImage: 1,
  leaseMs: 60_000,
  limits: LIMITS,
};

function gate(admit: TenantGateService["admit"]) {
  const settled: Array<[string, string, number]> = [];
  const service: TenantGateService = {
    admit,
    settle: async (tenantId, requestId, delivered) => {
      settled.push([tenantId, requestId, delivered]);
      return { status: "unknown" } as never;
    },
    usage: async () => {
      throw new Error("not used");
    },
  };
  return { service, settled };
}

describe("admitOrRelease", () => {
  it("releases the hold (settles 0) and rethrows when the admit call fails", async () => {
    const { service, settled } = gate(async () => {
      throw new Error("Network connection lost");
    });
    await expect(admitOrRelease(service, "t1", REQUEST)).rejects.toThrow("connection lost");
    expect(settled).toEqual([["t1", "gen_1", 0]]);
  });

  it("settles nothing when the admit answers, admitted or not", async () => {
    const answer = { ok: false, reason: "concurrency_limit", retryAfterSeconds: 1 } as never;
    const { service, settled } = gate(async () => answer);
    expect(await admitOrRelease(service, "t1", REQUEST)).toBe(answer);
    expect(settled).toEqual([]);
  });
});
