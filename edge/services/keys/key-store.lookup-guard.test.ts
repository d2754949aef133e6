// The key store's lookup guard: asked only before a D1 read, and a refusal reads nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import { countingKeyReadsDb } from "../../test/counting-db";
import { createTenant } from "../../test/harness";
import { generateKey } from "./key-material";
import { D1KeyStore, type LookupGuard } from "./key-store";
import { VerifiedKeyCache } from "./verified-key-cache";

/** A guard that answers `allow` and counts how often it was asked. */
function guard(allow: boolean): LookupGuard & { asked: number } {
  const ask = async () => {
    ask.asked++;
    return allow;
  };
  ask.asked = 0;
  return ask;
}

describe("the lookup guard", () => {
  it("refuses a key no cache holds without reading D1, and is never asked for a cached key", async () => {
    const { db, keyReads } = countingKeyReadsDb();
    const deferred: Promise<unknown>[] = [];
    const isolate = () =>
      new D1KeyStore(
        openDatabase(db),
        env.KEYS_CACHE,
        (p) => deferred.push(p),
        undefined,
        new VerifiedKeyCache(),
      );
    const store = isolate();
    const { row, key } = await store.issue((await createTenant()).id, {
      name: null,
      expiresAt: null,
    });
    const refuse = guard(false);

    const random = (await generateKey()).key;
    expect(await store.authenticate(random, refuse)).toEqual({
      ok: false,
      reason: "lookup_limited",
    });
    // A real key counts too while no cache holds it: the store cannot tell it from a guess.
    expect(await store.authenticate(key, refuse)).toEqual({ ok: false, reason: "lookup_limited" });
    expect(refuse.asked).toBe(2);
    expect(keyReads()).toBe(0);

    const allow = guard(true);
    expect(await store.authenticate(key, allow)).toMatchObject({
      ok: true,
      auth: { keyId: row.id },
    });
    await Promise.all(deferred);
    expect([allow.asked, keyReads()]).toEqual([1, 1]);

    // Cached in this isolate, then in KV for another: neither asks the guard nor reads D1.
    for (const reader of [store, isolate()]) {
      expect(await reader.authenticate(key, refuse)).toMatchObject({ ok: true });
    }
    expect([refuse.asked, keyReads()]).toEqual([2, 1]);
  });

  it("reads D1 for every uncached key when there is no guard", async () => {
    const { db, keyReads } = countingKeyReadsDb();
    const store = new D1KeyStore(openDatabase(db), env.KEYS_CACHE, () => {});
    const refused = guard(false);
    expect(await store.authenticate((await generateKey()).key, refused)).toEqual({
      ok: false,
      reason: "lookup_limited",
    });
    for (let i = 0; i < 3; i++) {
      expect(await store.authenticate((await generateKey()).key)).toEqual({
        ok: false,
        reason: "unknown",
      });
    }
    expect(keyReads()).toBe(3);
  });
});
