// D1IdempotencyStore over the real D1: claim outcomes, the 24 h expiry and the takeover of abandoned claims.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import {
  D1IdempotencyStore,
  IDEMPOTENCY_TTL_MS,
  IN_PROGRESS_LEASE_MS,
  INLINE_BODY_LIMIT,
} from "./idempotency-store";

function storeAt(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const store = new D1IdempotencyStore(openDatabase(env.DB), env.IMAGES, () => now);
  return { store, advance: (ms: number) => (now += ms) };
}

const DONE = { status: 200, headers: { "x-darkroom-region": "us" }, body: { created: 1 } };

describe("D1IdempotencyStore", () => {
  it("claims once, reports in-progress and mismatch, then replays once completed", async () => {
    const { store } = storeAt();
    expect(await store.claim("ten_a", "k1", "hash-1")).toEqual({ kind: "claimed" });
    expect(await store.claim("ten_a", "k1", "hash-1")).toEqual({ kind: "in_progress" });
    expect(await store.claim("ten_a", "k1", "hash-2")).toEqual({ kind: "mismatch" });
    await store.complete("ten_a", "k1", DONE);
    expect(await store.claim("ten_a", "k1", "hash-1")).toEqual({ kind: "replay", response: DONE });
    expect(await store.claim("ten_b", "k1", "hash-1")).toEqual({ kind: "claimed" });
  });

  it("lets two racing claims win exactly once", async () => {
    const { store } = storeAt();
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => store.claim("ten_race", "k", "h")),
    );
    expect(claims.filter((c) => c.kind === "claimed")).toHaveLength(1);
  });

  it("forgets a completed record after 24 hours", async () => {
    const { store, advance } = storeAt();
    await store.claim("ten_a", "k2", "h");
    await store.complete("ten_a", "k2", DONE);
    advance(IDEMPOTENCY_TTL_MS - 1);
    expect((await store.claim("ten_a", "k2", "other")).kind).toBe("mismatch");
    advance(1);
    expect(await store.claim("ten_a", "k2", "other")).toEqual({ kind: "claimed" });
  });

  it("hands an abandoned in-progress claim to a later request, and release frees it at once", async () => {
    const { store, advance } = storeAt();
    await store.claim("ten_a", "k3", "h");
    advance(IN_PROGRESS_LEASE_MS);
    expect(await store.claim("ten_a", "k3", "h")).toEqual({ kind: "claimed" });
    await store.release("ten_a", "k3");
    expect(await store.claim("ten_a", "k3", "h2")).toEqual({ kind: "claimed" });
  });

  it("purges what no repeat can use any more, with its body in R2, and keeps the rest", async () => {
    const { store, advance } = storeAt(Date.UTC(2026, 1, 1));
    await store.purgeExpired(); // the other tests' records, all long expired by then
    const big = { ...DONE, body: { data: "x".repeat(INLINE_BODY_LIMIT + 1) } };
    await store.claim("ten_p", "old-big", "h");
    await store.complete("ten_p", "old-big", big);
    await store.claim("ten_p", "old-claim", "h");
    advance(IN_PROGRESS_LEASE_MS);
    await store.claim("ten_p", "recent", "h");
    await store.complete("ten_p", "recent", DONE);
    const before = await env.IMAGES.list({ prefix: "idempotency/ten_p/" });
    expect(before.objects).toHaveLength(1);
    // The abandoned claim is past its lease; the big completed record is not yet past its day.
    expect(await store.purgeExpired()).toBe(1);
    advance(IDEMPOTENCY_TTL_MS - IN_PROGRESS_LEASE_MS);
    expect(await store.purgeExpired()).toBe(1);
    expect((await env.IMAGES.list({ prefix: "idempotency/ten_p/" })).objects).toHaveLength(0);
    expect(await store.claim("ten_p", "recent", "h")).toEqual({ kind: "replay", response: DONE });
    advance(IN_PROGRESS_LEASE_MS);
    expect(await store.purgeExpired()).toBe(1);
    expect(await store.claim("ten_p", "recent", "other")).toEqual({ kind: "claimed" });
  });
});

describe("a response that cannot be kept", () => {
  it("completes the record without it: repeats are told it is lost, never run again", async () => {
    const failingBucket = {
      put: () => Promise.reject(new Error("R2 unavailable")),
      get: () => Promise.resolve(null),
    } as unknown as R2Bucket;
    const store = new D1IdempotencyStore(openDatabase(env.DB), failingBucket, () => Date.now());
    const big = { ...DONE, body: { data: "x".repeat(INLINE_BODY_LIMIT + 1) } };
    expect(await store.claim("ten_lost", "k", "h")).toEqual({ kind: "claimed" });
    await store.complete("ten_lost", "k", big);
    expect(await store.claim("ten_lost", "k", "h")).toEqual({ kind: "lost" });
    expect(await store.claim("ten_lost", "k", "other")).toEqual({ kind: "mismatch" });
  });

  it("reads a record whose R2 body has gone as lost, not as an error", async () => {
    const { store } = storeAt(Date.now());
    const big = { ...DONE, body: { data: "y".repeat(INLINE_BODY_LIMIT + 1) } };
    await store.claim("ten_gone", "k", "h");
    await store.complete("ten_gone", "k", big);
    const listed = await env.IMAGES.list({ prefix: "idempotency/ten_gone/" });
    await env.IMAGES.delete(listed.objects.map((o) => o.key));
    expect(await store.claim("ten_gone", "k", "h")).toEqual({ kind: "lost" });
  });
});
