// webhook_url validation: what production accepts and refuses, and what development adds.
import { describe, expect, it } from "vitest";
import { MAX_WEBHOOK_URL_LENGTH, validateWebhookUrl, webhookUrlPolicy } from "./webhook-url";

const PRODUCTION = { allowInsecure: false };
const DEVELOPMENT = { allowInsecure: true };

const ACCEPTED_IN_PRODUCTION = [
  "https://hooks.example.com/darkroom",
  "https://hooks.example.com:8443/in?tenant=42&kind=jobs",
  "https://93.184.216.34/hook",
  "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
  "https://[::ffff:5db8:d822]/hook", // mapped 93.184.216.34
  "https://[64:ff9b::5db8:d822]/hook", // NAT64 of 93.184.216.34
  "https://[2002:5db8:d822::1]/hook", // 6to4 of 93.184.216.34
];

/** [url, a fragment of the message that says why]. */
const REFUSED_IN_PRODUCTION: Array<[unknown, string]> = [
  ["http://hooks.example.com/x", "must use https"],
  ["ftp://hooks.example.com/x", "must use https"],
  ["https://user:pass@hooks.example.com/x", "credentials"],
  ["https://token@hooks.example.com/x", "credentials"],
  ["https://hooks.example.com/x#frag", "fragment"],
  ["https://hooks.example.com/x#", "fragment"],
  ["/relative/path", "absolute URL"],
  ["not a url", "spaces"],
  [" https://hooks.example.com/x", "spaces"],
  ["https://hooks.example.com/\tx", "spaces"],
  [42, "must be a string"],
  [`https://hooks.example.com/${"a".repeat(MAX_WEBHOOK_URL_LENGTH)}`, "at most"],
  ["https://localhost/x", "local host name"],
  ["https://LOCALHOST./x", "local host name"],
  ["https://api.localhost/x", "local host name"],
  ["https://printer.local/x", "local host name"],
  ["https://intranet/x", "single-label"],
  ["https://127.0.0.1/x", "private or reserved"],
  ["https://0x7f.1/x", "private or reserved"],
  ["https://2130706433/x", "private or reserved"],
  ["https://10.1.2.3/x", "private or reserved"],
  ["https://172.16.0.1/x", "private or reserved"],
  ["https://172.31.255.255/x", "private or reserved"],
  ["https://192.168.1.1/x", "private or reserved"],
  ["https://169.254.169.254/latest/meta-data", "private or reserved"],
  ["https://100.64.0.1/x", "private or reserved"],
  ["https://0.0.0.0/x", "private or reserved"],
  ["https://224.0.0.1/x", "private or reserved"],
  ["https://255.255.255.255/x", "private or reserved"],
  ["https://[::1]/x", "IPv6"],
  ["https://[::]/x", "IPv6"],
  ["https://[fd00::1]/x", "IPv6"],
  ["https://[fe80::1]/x", "IPv6"],
  ["https://[::ffff:127.0.0.1]/x", "IPv6"],
  ["https://[::ffff:10.0.0.1]/x", "IPv6"],
  ["https://[::127.0.0.1]/x", "IPv6"], // IPv4-compatible, deprecated
  ["https://[::ffff:0:7f00:1]/x", "IPv6"], // IPv4-translated 127.0.0.1
  ["https://[64:ff9b::a00:1]/x", "IPv6"], // NAT64 of 10.0.0.1
  ["https://[64:ff9b:1::a00:1]/x", "IPv6"], // NAT64 local use
  ["https://[2002:7f00:1::]/x", "IPv6"], // 6to4 of 127.0.0.1
  ["https://[2002:a9fe:a9fe::1]/x", "IPv6"], // 6to4 of 169.254.169.254
  ["https://[fec0::1]/x", "IPv6"], // site-local
  ["https://[2001:db8::1]/x", "IPv6"], // documentation
  ["https://[100::1]/x", "IPv6"], // discard-only
  ["https://[ff02::1]/x", "IPv6"], // multicast
  ["https://localhost../x", "local host name"],
];

describe("validateWebhookUrl in production", () => {
  it.each(ACCEPTED_IN_PRODUCTION)("accepts %s", (url) => {
    expect(validateWebhookUrl(url, PRODUCTION)).toMatchObject({ ok: true });
  });

  it.each(REFUSED_IN_PRODUCTION)("refuses %s", (url, why) => {
    const check = validateWebhookUrl(url, PRODUCTION);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.param).toBe("webhook_url");
    expect(check.message).toContain(why);
  });

  it("keeps public neighbours of private blocks", () => {
    for (const host of ["172.15.0.1", "172.32.0.1", "192.169.0.1", "100.128.0.1", "11.0.0.1"]) {
      expect(validateWebhookUrl(`https://${host}/x`, PRODUCTION).ok).toBe(true);
    }
  });

  it("returns the normalised URL", () => {
    expect(validateWebhookUrl("https://Hooks.Example.COM/a/../b", PRODUCTION)).toEqual({
      ok: true,
      url: "https://hooks.example.com/b",
    });
  });
});

describe("validateWebhookUrl in development", () => {
  it("accepts http and loopback receivers", () => {
    for (const url of [
      "http://127.0.0.1:19550/hook",
      "http://localhost:3000/x",
      "https://[::1]/x",
    ]) {
      expect(validateWebhookUrl(url, DEVELOPMENT)).toMatchObject({ ok: true });
    }
  });

  it("still refuses credentials, fragments and other schemes", () => {
    for (const url of ["http://u:p@127.0.0.1/x", "http://127.0.0.1/x#a", "ws://127.0.0.1/x"]) {
      expect(validateWebhookUrl(url, DEVELOPMENT).ok).toBe(false);
    }
  });
});

describe("webhookUrlPolicy", () => {
  it("is insecure only when the variable is exactly 'true'", () => {
    expect(webhookUrlPolicy({ WEBHOOK_ALLOW_INSECURE: "true" }).allowInsecure).toBe(true);
    expect(webhookUrlPolicy({ WEBHOOK_ALLOW_INSECURE: "1" }).allowInsecure).toBe(false);
    expect(webhookUrlPolicy({}).allowInsecure).toBe(false);
  });
});
