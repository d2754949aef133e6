// The RegionBoard Durable Object: shared breakers, exactly one half-open trial, probes that never close a breaker.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type BreakerPolicy, DEFAULT_BREAKER_POLICY } from "./breaker";

const NO_COOLDOWN: BreakerPolicy = { ...DEFAULT_BREAKER_POLICY, failures: 2, cooldownMs: 0 };
const board = (name: string) => env.REGION_BOARD.get(env.REGION_BOARD.idFromName(name));
const entryOf = async (name: string, region: string) =>
  (await board(name).snapshot()).origins.find((o) => o.region === region);

describe("RegionBoard", () => {
  it("opens a breaker from verdicts of any caller and grants its half-open trial exactly once", async () => {
    const b = board("trial");
    await b.record("us", "failure", NO_COOLDOWN);
    await b.record("us", "failure", NO_COOLDOWN);
    expect((await entryOf("trial", "us"))?.breaker.state).toBe("open");
    const grants = await Promise.all(
      Array.from({ length: 5 }, () => board("trial").acquireTrial("us", NO_COOLDOWN, 60_000)),
    );
    expect(grants.filter(Boolean)).toHaveLength(1);
    await b.record("us", "success", NO_COOLDOWN);
    expect((await entryOf("trial", "us"))?.breaker).toMatchObject({
      state: "closed",
      consecutiveFailures: 0,
      trialUntil: null,
    });
  });

  it("keeps a breaker open when a probe finds the origin ready again", async () => {
    const b = board("probe");
    await b.record("eu", "failure", NO_COOLDOWN);
    await b.record("eu", "failure", NO_COOLDOWN);
    const load = null;
    await b.publishProbes([{ region: "eu", ready: true, load, at: Date.now() }]);
    const eu = await entryOf("probe", "eu");
    expect(eu).toMatchObject({ ready: true, breaker: { state: "open" } });
    expect(eu?.lastProbeAt).not.toBeNull();
  });

  it("counts held successes into a closed breaker's window, never as a half-open trial's outcome", async () => {
    const b = board("held");
    await b.record("us", "success", NO_COOLDOWN, 4);
    expect((await entryOf("held", "us"))?.breaker).toMatchObject({ windowTotal: 5 });
    await b.record("eu", "failure", NO_COOLDOWN);
    await b.record("eu", "failure", NO_COOLDOWN);
    // Half-open now (no cool-down): successes held from before must not close it; the failure counts.
    await b.record("eu", "failure", NO_COOLDOWN, 3);
    expect((await entryOf("held", "eu"))?.breaker.state).toBe("open");
  });

  it("forgets a region", async () => {
    const b = board("forget");
    await b.record("ap", "failure", NO_COOLDOWN);
    await b.forget("ap");
    expect(await entryOf("forget", "ap")).toBeUndefined();
  });
});
