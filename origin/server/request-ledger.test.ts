// The ledger's and the replay guard's lifetimes: what they remember, and for exactly how long.
import { describe, expect, it } from "vitest";
import { GenerateRequestSchema } from "../../protocol/generate";
import { SIGNATURE_WINDOW_S } from "../../protocol/signing";
import { validRequest } from "../../test/support/origin-fixtures";
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
