// The origin's node:crypto primitives agree with the WebCrypto ones the edge signs with.
import { describe, expect, it } from "vitest";
import { signRequest, verifySignature } from "../../protocol/signing";
import { NODE_SIGNING } from "./verify-signature";

const bodies: Array<[string, string | Uint8Array]> = [
  ["an empty body", ""],
  ["ASCII JSON", '{"prompt":"a red fox"}'],
  ["non-ASCII text", '{"prompt":"ein Fuchs im Schnee ❄ — 狐"}'],
  ["raw bytes", Uint8Array.from([0, 255, 1, 128, 10])],
];

describe("NODE_SIGNING", () => {
  it.each(bodies)("verifies what WebCrypto signed, for %s", async (_, body) => {
    const req = { method: "POST", path: "/internal/v1/generate", body };
    const h = await signRequest("secret-a", req, 1_000);
    const headers = { timestamp: h["x-darkroom-timestamp"], signature: h["x-darkroom-signature"] };
    expect(await verifySignature(["secret-a"], headers, req, 1_000, NODE_SIGNING)).toEqual({
      ok: true,
    });
    expect(await verifySignature(["secret-b"], headers, req, 1_000, NODE_SIGNING)).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });
});
