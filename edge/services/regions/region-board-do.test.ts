// The RegionBoard Durable Object: shared breakers, exactly one half-open trial, probes that never close a breaker.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BoardStore } from "./board-store";
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

  it("takes a verdict from an attempt started before the breaker opened as no trial's outcome", async () => {
    const b = board("late");
    const beforeOpen = Date.now() - 60_000;
    await b.record("us", "failure", NO_COOLDOWN);
    await b.record("us", "failure", NO_COOLDOWN);
    expect(await b.acquireTrial("us", NO_COOLDOWN, 60_000)).toBe(true);
    // A slow request's answers arrive while the trial is out: neither re-opens nor closes it.
    await b.record("us", "failure", NO_COOLDOWN, 0, beforeOpen);
    await b.record("us", "success", NO_COOLDOWN, 0, beforeOpen);
    expect((await entryOf("late", "us"))?.breaker.state).toBe("open");
    expect(await b.acquireTrial("us", NO_COOLDOWN, 60_000)).toBe(false);
    // The trial's own success still closes it.
    await b.record("us", "success", NO_COOLDOWN, 0, Date.now());
    expect((await entryOf("late", "us"))?.breaker.state).toBe("closed");
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

  it("keeps the origins stored before success_started_at existed, and stores it from then on", async () => {
    await runInDurableObject(board("upgrade"), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE origin_health");
      sql.exec(`CREATE TABLE origin_health (region TEXT PRIMARY KEY, ready INTEGER, load TEXT,
        last_probe_at INTEGER, breaker_state TEXT NOT NULL, consecutive_failures INTEGER NOT NULL,
        opened_at INTEGER, trial_until INTEGER, window_start INTEGER NOT NULL,
        window_total INTEGER NOT NULL, window_failures INTEGER NOT NULL, updated_at INTEGER NOT NULL)`);
      sql.exec(
        "INSERT INTO origin_health VALUES ('us', 0, NULL, 5, 'closed', 0, NULL, NULL, 1, 2, 0, 3)",
      );
      const store = new BoardStore(sql);
      const us = store.load().get("us");
      expect(us).toMatchObject({
        ready: false,
        breaker: { windowTotal: 2, successStartedAt: null },
      });
      if (us) store.save({ ...us, breaker: { ...us.breaker, successStartedAt: 7 } });
      expect(new BoardStore(sql).load().get("us")?.breaker.successStartedAt).toBe(7);
    });
  });

  it("forgets a region", async () => {
    const b = board("forget");
    await b.record("ap", "failure", NO_COOLDOWN);
    await b.forget("ap");
    expect(await entryOf("forget", "ap")).toBeUndefined();
  });
});
