// The ledger under generated concurrent traffic (fast-check): whatever mix of sizes, failures and
// repeated Idempotency-Keys arrives at once, the tenant is charged exactly the images it received,
// never past its quota, holds nothing afterwards, and never had more calls at the origin than slots.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { costUnits } from "../services/tenant-gate/cost";
import { answerError, installFakeOrigin, type OriginBehaviour, succeed } from "../test/fake-origin";
import { generate, tenantWithKey, usageOf } from "../test/generation";
import { adminCall, type ErrorEnvelope } from "../test/harness";

afterEach(() => vi.restoreAllMocks());

type Outcome = "ok" | "fail" | "refuse";
interface Sent {
  n: number;
  outcome: Outcome;
  size: "256x256" | "512x512";
  idempotencyKey: string | null;
}

const sent = fc.record({
  n: fc.integer({ min: 1, max: 4 }),
  outcome: fc.constantFrom<Outcome>("ok", "ok", "ok", "fail", "refuse"),
  size: fc.constantFrom("256x256" as const, "512x512" as const),
  idempotencyKey: fc.option(fc.constantFrom("k1", "k2", "k3", "k4")),
});

/** What each status may say: anything else is a wrong answer. */
const ALLOWED: Record<number, string[]> = {
  400: ["invalid_request"],
  409: ["idempotency_conflict"],
  429: ["insufficient_quota", "concurrency_limit"],
  502: ["upstream_error"],
  503: ["no_capacity"],
};

/** The fake origin's answer is named in the prompt; it holds each call a moment, so calls overlap. */
function originByPrompt(counter: { now: number; max: number }): OriginBehaviour {
  const ok = succeed();
  return async (call) => {
    counter.now++;
    counter.max = Math.max(counter.max, counter.now);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2));
      const outcome = call.body.prompt.split(" ")[0] as Outcome;
      if (outcome === "refuse") throw new TypeError("fake origin: connection refused");
      if (outcome === "fail") return answerError(500, "internal_error")(call);
      return ok(call);
    } finally {
      counter.now--;
    }
  };
}

const requests = fc.array(sent, { minLength: 1, maxLength: 8 });
const repeatsOf = fc.array(fc.nat(), { maxLength: 4 });

function send(key: string, r: Sent): Promise<Response> {
  return generate(
    key,
    { prompt: `${r.outcome} lighthouse`, n: r.n, size: r.size, quality: "low" },
    r.idempotencyKey ? { headers: { "idempotency-key": r.idempotencyKey } } : {},
  );
}

/** One answer checked against what was asked; what it charged (nothing for a replay or refusal). */
async function check(
  res: Response,
  r: Sent,
  quota: number,
): Promise<{ images: number; units: number }> {
  const text = await res.text();
  if (res.status !== 200) {
    const { error } = JSON.parse(text) as ErrorEnvelope;
    expect(ALLOWED[res.status], `${res.status} ${error.code}`).toContain(error.code);
    // A 400 only for more images than the whole quota, which no wait would make fit.
    if (res.status === 400) expect([error.param, r.n > quota]).toEqual(["n", true]);
    if (r.outcome === "ok") expect(res.status, error.message).toBeLessThan(500);
    return { images: 0, units: 0 };
  }
  expect(r.outcome, text.slice(0, 200)).toBe("ok");
  const { data } = JSON.parse(text) as { data: unknown[] };
  expect(data).toHaveLength(r.n);
  if (res.headers.get("idempotent-replayed") === "true") return { images: 0, units: 0 };
  const [width, height] = r.size.split("x").map(Number) as [number, number];
  return { images: r.n, units: costUnits({ tier: "fast", width, height, steps: 2, n: r.n }) };
}

describe("the ledger under concurrent generated traffic", () => {
  it("charges exactly the delivered images, within quota and slots, and holds nothing after", async () => {
    const tenants = fc.record({
      quota: fc.integer({ min: 2, max: 12 }),
      slots: fc.integer({ min: 1, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(tenants, requests, repeatsOf, async (t, wave1, repeats) => {
        const counter = { now: 0, max: 0 };
        const behaviour = originByPrompt(counter);
        installFakeOrigin({ us: behaviour, eu: behaviour });
        const { key, tenantId } = await tenantWithKey({
          monthly_image_quota: t.quota,
          max_concurrency: t.slots,
        });
        // Two waves at once each: the second repeats some of the first, key and body alike, so a
        // stored success is replayed and a failure (not kept) runs afresh.
        const waves = [wave1, repeats.map((i) => wave1[i % wave1.length] as Sent)];
        let delivered = 0;
        let units = 0;
        for (const wave of waves) {
          const responses = await Promise.all(wave.map((r) => send(key, r)));
          for (const [i, res] of responses.entries()) {
            const charged = await check(res, wave[i] as Sent, t.quota);
            delivered += charged.images;
            units += charged.units;
          }
        }

        const usage = await usageOf(key);
        expect(usage).toMatchObject({
          images_used: delivered,
          images_reserved: 0,
          in_flight: 0,
          units_used: units,
        });
        expect(usage.images_used).toBeLessThanOrEqual(t.quota);
        expect(counter.max).toBeLessThanOrEqual(t.slots);

        const audit = await adminCall<{ data: { route: string; cost_charged: number }[] }>(
          `/admin/audit?tenant_id=${tenantId}&limit=500`,
        );
        const records = audit.body.data.filter((a) => a.route === "POST /v1/images/generations");
        expect(records).toHaveLength(wave1.length + repeats.length);
        expect(records.reduce((sum, a) => sum + a.cost_charged, 0)).toBe(units);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
