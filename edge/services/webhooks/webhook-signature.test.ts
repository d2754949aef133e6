// Webhook signatures: the Standard Webhooks test vector, round trips, and every way a forgery is refused.
import { describe, expect, it } from "vitest";
import {
  DEV_WEBHOOK_SIGNING_SECRET,
  tenantWebhookSecret,
  webhookMasterSecret,
} from "./tenant-webhook-secret";
import { signWebhook, verifyWebhook } from "./webhook-signature";

// From the Standard Webhooks specification's examples: interoperability with its libraries.
const SPEC = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestampS: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const AT_SPEC_TIME = SPEC.timestampS * 1000;

async function signed(over: Partial<typeof SPEC> = {}) {
  const m = { ...SPEC, ...over };
  return new Headers(await signWebhook(m.secret, m));
}

describe("signWebhook", () => {
  it("produces the specification's signature for its example", async () => {
    const headers = await signed();
    expect(headers.get("webhook-signature")).toBe(SPEC.signature);
    expect(headers.get("webhook-id")).toBe(SPEC.id);
    expect(headers.get("webhook-timestamp")).toBe(String(SPEC.timestampS));
  });
});

describe("verifyWebhook", () => {
  it("accepts a delivery signed with the same secret, from Headers or Node-style records", async () => {
    const headers = await signed();
    const now = AT_SPEC_TIME + 10_000;
    expect(await verifyWebhook(SPEC.secret, headers, SPEC.body, { now })).toEqual({
      ok: true,
      id: SPEC.id,
      timestampS: SPEC.timestampS,
    });
    const record = Object.fromEntries(headers);
    const bytes = new TextEncoder().encode(SPEC.body);
    expect((await verifyWebhook(SPEC.secret, record, bytes, { now })).ok).toBe(true);
  });

  it("refuses a changed body, id or timestamp, and another tenant's secret", async () => {
    const now = AT_SPEC_TIME;
    const headers = await signed();
    const changedBody = await verifyWebhook(SPEC.secret, headers, '{"test": 2432232315}', { now });
    expect(changedBody).toEqual({ ok: false, reason: "mismatch" });

    const changedId = new Headers(headers);
    changedId.set("webhook-id", "msg_other");
    expect(await verifyWebhook(SPEC.secret, changedId, SPEC.body, { now })).toMatchObject({
      reason: "mismatch",
    });
    const changedTime = new Headers(headers);
    changedTime.set("webhook-timestamp", String(SPEC.timestampS + 1));
    expect(await verifyWebhook(SPEC.secret, changedTime, SPEC.body, { now })).toMatchObject({
      reason: "mismatch",
    });
    const other = await tenantWebhookSecret("master", "ten_other");
    expect(await verifyWebhook(other, headers, SPEC.body, { now })).toMatchObject({
      reason: "mismatch",
    });
  });

  it("refuses timestamps outside the tolerance, in the past or the future", async () => {
    const headers = await signed();
    const at = (offsetS: number, toleranceS?: number) =>
      verifyWebhook(SPEC.secret, headers, SPEC.body, {
        now: AT_SPEC_TIME + offsetS * 1000,
        toleranceS,
      });
    expect((await at(300)).ok).toBe(true);
    expect(await at(301)).toEqual({ ok: false, reason: "stale" });
    expect(await at(-301)).toEqual({ ok: false, reason: "stale" });
    expect(await at(61, 60)).toEqual({ ok: false, reason: "stale" });
  });

  it("accepts any one v1 entry of several, and ignores other versions", async () => {
    const good = SPEC.signature;
    const headers = await signed();
    const now = AT_SPEC_TIME;
    const withList = (value: string) => {
      const h = new Headers(headers);
      h.set("webhook-signature", value);
      return verifyWebhook(SPEC.secret, h, SPEC.body, { now });
    };
    expect((await withList(`v1,AAAA ${good}`)).ok).toBe(true);
    expect(await withList(good.replace("v1,", "v2,"))).toMatchObject({ reason: "mismatch" });
    expect(await withList("v1,")).toMatchObject({ reason: "mismatch" });
  });

  it("says what is missing or malformed", async () => {
    const headers = await signed();
    const without = new Headers(headers);
    without.delete("webhook-signature");
    const now = AT_SPEC_TIME;
    expect(await verifyWebhook(SPEC.secret, without, SPEC.body, { now })).toEqual({
      ok: false,
      reason: "missing",
    });
    const badTime = new Headers(headers);
    badTime.set("webhook-timestamp", "1614265330.5");
    expect(await verifyWebhook(SPEC.secret, badTime, SPEC.body, { now })).toMatchObject({
      reason: "malformed",
    });
    expect(await verifyWebhook("whsec_!!", headers, SPEC.body, { now })).toMatchObject({
      reason: "malformed",
    });
  });
});

describe("tenantWebhookSecret", () => {
  it("is stable per tenant, distinct across tenants and masters, and a usable whsec_ key", async () => {
    const a = await tenantWebhookSecret("master-1", "ten_a");
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await tenantWebhookSecret("master-1", "ten_a")).toBe(a);
    expect(await tenantWebhookSecret("master-1", "ten_b")).not.toBe(a);
    expect(await tenantWebhookSecret("master-2", "ten_a")).not.toBe(a);
    const message = { id: "msg_1", timestampS: 1_700_000_000, body: "{}" };
    const headers = await signWebhook(a, message);
    expect((await verifyWebhook(a, headers, "{}", { now: 1_700_000_000_000 })).ok).toBe(true);
  });
});

describe("the master secret", () => {
  it("uses the dev value only in development, and refuses it elsewhere even when set", () => {
    const dev = DEV_WEBHOOK_SIGNING_SECRET;
    expect(webhookMasterSecret({ ENVIRONMENT: "development" })).toBe(dev);
    expect(webhookMasterSecret({ ENVIRONMENT: "production" })).toBeNull();
    expect(
      webhookMasterSecret({ ENVIRONMENT: "production", WEBHOOK_SIGNING_SECRET: dev }),
    ).toBeNull();
    expect(webhookMasterSecret({ ENVIRONMENT: "development", WEBHOOK_SIGNING_SECRET: dev })).toBe(
      dev,
    );
    expect(webhookMasterSecret({ ENVIRONMENT: "staging", WEBHOOK_SIGNING_SECRET: "s3cret" })).toBe(
      "s3cret",
    );
  });
});
