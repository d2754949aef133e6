// The ledger's and the replay guard's lifetimes: what they remember, for how long, and that an id runs once.
import { describe, expect, it } from "vitest";
import { GenerateRequestSchema } from "../../protocol/generate";
import { SIGNATURE_WINDOW_S } from "../../protocol/signing";
import { FakeClock, FakeRuntime, fakePipeline } from "../../test/support/fake-runtime";
import { validRequest } from "../../test/support/origin-fixtures";
import { ContinuousBatcher } from "../scheduler/continuous-batcher";
import { jobFor } from "./generation-outcome";
import { OriginState } from "./origin-state";
import { ReplayGuard } from "./replay-guard";
import { type LedgerAnswer, RequestLedger } from "./request-ledger";

const request = () => GenerateRequestSchema.parse(validRequest({ request_id: "req-1" }));
const answer: LedgerAnswer = { status: 200, body: new Uint8Array(8), headers: {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("RequestLedger", () => {
  it("runs a retry afresh when every connection of the first run hung up, instead of joining it", () => {
    const ledger = new RequestLedger();
    const first = ledger.claim(request(), false);
    if (first.kind !== "run") throw new Error(`expected run, got ${first.kind}`);
    const connection = new AbortController();
    first.entry.attach(connection.signal);
    connection.abort();
    expect(first.entry.signal.aborted).toBe(true);

    const retry = ledger.claim(request(), false);
    expect(retry.kind).toBe("run");
    // The canceled run settling late does not evict the retry's entry.
    ledger.settle("req-1", first.entry, null);
    expect(ledger.claim(request(), false).kind).toBe("join");
  });

  it("keeps a running JSON entry past the TTL; the TTL starts when its answer settles", async () => {
    const ledger = new RequestLedger({ ttlMs: 30 });
    const first = ledger.claim(request(), false);
    if (first.kind !== "run") throw new Error(`expected run, got ${first.kind}`);
    first.entry.attach(new AbortController().signal);
    await sleep(60);
    expect(ledger.claim(request(), false).kind).toBe("join");
    first.entry.finish(answer);
    ledger.settle("req-1", first.entry, answer);
    expect(ledger.claim(request(), false).kind).toBe("join");
    await sleep(60);
    expect(ledger.claim(request(), false).kind).toBe("run");
  });

  it("never evicts a running entry to make room for answers; finished answers go first", () => {
    const ledger = new RequestLedger({ maxBytes: 4 * 1024 });
    const running = ledger.claim(request(), false);
    if (running.kind !== "run") throw new Error(`expected run, got ${running.kind}`);
    running.entry.attach(new AbortController().signal);
    const big: LedgerAnswer = { status: 200, body: new Uint8Array(1024), headers: {} };
    const done = (i: number) =>
      GenerateRequestSchema.parse(validRequest({ request_id: `done-${i}` }));
    for (let i = 0; i < 8; i++) {
      const claim = ledger.claim(done(i), false);
      if (claim.kind !== "run") throw new Error(`expected run, got ${claim.kind}`);
      claim.entry.finish(big);
      ledger.settle(`done-${i}`, claim.entry, big);
    }
    // A retry of the running request joins it instead of starting a second run.
    expect(ledger.claim(request(), false)).toMatchObject({ kind: "join", entry: running.entry });
    expect(ledger.claim(done(0), false).kind).toBe("run");
    expect(ledger.claim(done(7), false).kind).toBe("join");
  });
});

describe("RequestLedger with the batcher (FAKE runtime)", () => {
  function claimRun(ledger: RequestLedger, connection: AbortSignal) {
    const claim = ledger.claim(request(), false);
    if (claim.kind !== "run") throw new Error(`expected run, got ${claim.kind}`);
    claim.entry.attach(connection);
    return claim.entry;
  }

  function fakeBatcher() {
    const clock = new FakeClock();
    const runtime = new FakeRuntime(clock);
    return { runtime, batcher: new ContinuousBatcher(fakePipeline(runtime), { clock }) };
  }

  it("never runs a delivery whose connection closed before it attached: the retry is the only run", async () => {
    const { batcher, runtime } = fakeBatcher();
    const ledger = new RequestLedger();
    const gone = claimRun(ledger, AbortSignal.abort());
    expect(await batcher.submit(jobFor(request(), 30_000, gone.signal))).toMatchObject({
      ok: false,
      reason: "canceled",
    });
    expect(runtime.calls).toHaveLength(0);
    const retry = claimRun(ledger, new AbortController().signal);
    expect((await batcher.submit(jobFor(request(), 30_000, retry.signal))).ok).toBe(true);
    // One run of the request's two steps.
    expect(runtime.calls).toHaveLength(2);
  });

  it("cancels by request id both the run being canceled and the retry running beside it", async () => {
    const { batcher, runtime } = fakeBatcher();
    const ledger = new RequestLedger();
    const connection = new AbortController();
    const first = claimRun(ledger, connection.signal);
    const runs = [batcher.submit(jobFor(request(), 30_000, first.signal))];
    connection.abort();
    const retry = claimRun(ledger, new AbortController().signal);
    runs.push(batcher.submit(jobFor(request(), 30_000, retry.signal)));
    expect(batcher.cancel("req-1")).toBe(true);
    for (const run of runs) expect(await run).toMatchObject({ ok: false, reason: "canceled" });
    expect(runtime.calls).toHaveLength(0);
  });
});

describe("ReplayGuard", () => {
  it("remembers a signature for as long as its timestamp keeps it valid, even one dated ahead", () => {
    let now = 1_000_000_000;
    const guard = new ReplayGuard(undefined, () => now);
    // Dated a full window ahead: verifySignature accepts it until (ts + window + 1) s.
    const ts = Math.floor(now / 1000) + SIGNATURE_WINDOW_S;
    expect(guard.claim("v1=future", ts)).toBe(true);
    now = (ts + SIGNATURE_WINDOW_S) * 1000 + 999;
    expect(guard.claim("v1=future", ts)).toBe(false);
    now = (ts + SIGNATURE_WINDOW_S + 1) * 1000;
    expect(guard.claim("v1=future", ts)).toBe(true);
  });

  it("forgets an ordinary signature two windows after it was first seen", () => {
    let now = 1_000_000_000;
    const guard = new ReplayGuard(undefined, () => now);
    const ts = Math.floor(now / 1000);
    expect(guard.claim("v1=now", ts)).toBe(true);
    now += SIGNATURE_WINDOW_S * 2 * 1000 - 1;
    expect(guard.claim("v1=now", ts)).toBe(false);
    now += 1;
    expect(guard.claim("v1=now", ts)).toBe(true);
  });
});

describe("OriginState", () => {
  it("stays failed while draining, so healthz keeps answering 503", () => {
    const state = new OriginState();
    state.markFailed("model missing");
    state.startDraining();
    expect(state.phase).toBe("failed");
    const ready = new OriginState();
    ready.markReadyWithoutModel();
    ready.startDraining();
    expect(ready.phase).toBe("draining");
  });
});
