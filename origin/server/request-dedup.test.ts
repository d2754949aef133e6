// A request_id delivered twice (an edge retry, freshly signed) is computed once; different parameters conflict.
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorBodySchema } from "../../protocol/errors";
import { GenerateRequestSchema } from "../../protocol/generate";
import { loadTinyPipeline, readyOriginApp, validRequest } from "../../test/support/origin-fixtures";
import { signedInit } from "../../test/support/signed-request";
import type { DiffusionPipeline } from "../engine/pipeline";
import { ContinuousBatcher } from "../scheduler/continuous-batcher";
import { LedgerEntry, RequestLedger } from "./request-ledger";

const GENERATE = "/internal/v1/generate";
let pipeline: DiffusionPipeline;

beforeAll(async () => {
  pipeline = await loadTinyPipeline();
});

/** The real batcher, counting what reaches it. */
function countingApp() {
  const batcher = new ContinuousBatcher(pipeline);
  const submitted: string[] = [];
  const submit = batcher.submit.bind(batcher);
  batcher.submit = (job) => {
    submitted.push(job.requestId);
    return submit(job);
  };
  const app = readyOriginApp(pipeline, batcher);
  return { app, submitted };
}

/** The same body signed at two different seconds: two distinct, valid deliveries. */
async function twoDeliveries(body: string) {
  const now = Math.floor(Date.now() / 1000);
  return [
    await signedInit(GENERATE, body, { nowSeconds: now - 1 }),
    await signedInit(GENERATE, body, { nowSeconds: now }),
  ];
}

describe("request_id de-duplication", () => {
  it("answers a duplicate of a finished request from the first run", async () => {
    const { app, submitted } = countingApp();
    const [first, second] = await twoDeliveries(
      JSON.stringify(validRequest({ request_id: "dup-1" })),
    );
    const a = await app.request(GENERATE, first!);
    const b = await app.request(GENERATE, second!);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await b.text()).toBe(await a.text());
    expect(submitted).toEqual(["dup-1"]);
  });

  it("lets concurrent duplicates share one run", async () => {
    const { app, submitted } = countingApp();
    const [first, second] = await twoDeliveries(
      JSON.stringify(validRequest({ request_id: "dup-2" })),
    );
    const [a, b] = await Promise.all([
      app.request(GENERATE, first!),
      app.request(GENERATE, second!),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(await b.text()).toBe(await a.text());
    expect(submitted).toEqual(["dup-2"]);
  });

  it("ignores the per-attempt deadline when matching a duplicate", async () => {
    const { app, submitted } = countingApp();
    const [first] = await twoDeliveries(JSON.stringify(validRequest({ request_id: "dup-3" })));
    const [, second] = await twoDeliveries(
      JSON.stringify(validRequest({ request_id: "dup-3", deadline_ms: 4_000 })),
    );
    expect((await app.request(GENERATE, first!)).status).toBe(200);
    expect((await app.request(GENERATE, second!)).status).toBe(200);
    expect(submitted).toEqual(["dup-3"]);
  });

  it("refuses the same request_id with different parameters (409 idempotency_conflict)", async () => {
    const { app, submitted } = countingApp();
    const [first] = await twoDeliveries(JSON.stringify(validRequest({ request_id: "dup-4" })));
    const [, other] = await twoDeliveries(
      JSON.stringify(validRequest({ request_id: "dup-4", seed: 99 })),
    );
    expect((await app.request(GENERATE, first!)).status).toBe(200);
    const res = await app.request(GENERATE, other!);
    expect(res.status).toBe(409);
    const body = ErrorBodySchema.parse(await res.json());
    expect(body.error).toMatchObject({ code: "idempotency_conflict", param: "request_id" });
    expect(submitted).toEqual(["dup-4"]);
  });
});

describe("LedgerEntry", () => {
  it("aborts the run only once every attached connection has gone", () => {
    const entry = new LedgerEntry("f", false);
    const a = new AbortController();
    const b = new AbortController();
    entry.attach(a.signal);
    entry.attach(b.signal);
    a.abort();
    expect(entry.signal.aborted).toBe(false);
    b.abort();
    expect(entry.signal.aborted).toBe(true);
  });

  it("never aborts a finished run", () => {
    const entry = new LedgerEntry("f", false);
    const a = new AbortController();
    entry.attach(a.signal);
    entry.finish({ status: 200, body: Buffer.from("{}"), headers: {} });
    a.abort();
    expect(entry.signal.aborted).toBe(false);
  });

  it("forgets a failed run so that a retry runs again", () => {
    const ledger = new RequestLedger();
    const req = GenerateRequestSchema.parse(validRequest({ request_id: "dup-5" }));
    const claim = ledger.claim(req, false);
    expect(claim.kind).toBe("run");
    if (claim.kind !== "run") return;
    claim.entry.fail(new Error("deadline"));
    ledger.settle(req.request_id, claim.entry, null);
    expect(ledger.claim(req, false).kind).toBe("run");
  });
});
