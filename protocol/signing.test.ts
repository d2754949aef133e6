// The portable primitives give WebCrypto's bytes, and a signature is the documented HMAC of the
// documented message (ARCHITECTURE.md "Signing"), computed here independently with WebCrypto.
import { describe, expect, it } from "vitest";
import { sha256Hex, signatureFor, toHex } from "./signing";

const encoder = new TextEncoder();
const webSha256 = async (data: Uint8Array) =>
  toHex(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));

async function webHmac(secret: string, message: string) {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toHex(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

const inputs: Array<[string, string | Uint8Array]> = [
  ["empty", ""],
  ["an API key", "drk_0123456789abcdefghijABCDEFGHIJ0123456789"],
  ["non-ASCII text", "ein Fuchs im Schnee ❄ — 狐"],
  ["raw bytes", Uint8Array.from([0, 255, 1, 128, 10])],
  ["a block boundary (64 bytes)", "x".repeat(64)],
  ["several blocks", "a lighthouse on a cliff at dusk, oil painting, warm light ".repeat(40)],
];

describe("sha256Hex", () => {
  it.each(inputs)("matches WebCrypto for %s", async (_, data) => {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    expect(sha256Hex(data)).toBe(await webSha256(bytes));
  });

  it("is the known digest of 'abc'", () => {
    expect(sha256Hex("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("signatureFor", () => {
  it.each(inputs)(
    "is WebCrypto's HMAC of timestamp.METHOD.path.sha256(body) for %s",
    async (_, body) => {
      const req = { method: "post", path: "/internal/v1/generate", body };
      const bytes = typeof body === "string" ? encoder.encode(body) : body;
      const message = `1700000000.POST./internal/v1/generate.${await webSha256(bytes)}`;
      expect(await signatureFor("secret-a", 1_700_000_000, req)).toBe(
        await webHmac("secret-a", message),
      );
    },
  );
});
