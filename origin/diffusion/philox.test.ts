import { describe, expect, it } from "vitest";
import { philox4x32x10 } from "./philox";

// Random123's published known-answer vectors for Philox4x32-10 (kat_vectors).
const KAT: [[number, number, number, number], [number, number], number[]][] = [
  [
    [0, 0, 0, 0],
    [0, 0],
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  ],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

describe("Philox4x32-10", () => {
  it.each(KAT)("matches Random123 for counter %j key %j", (counter, key, expected) => {
    expect([...philox4x32x10(counter, key)]).toEqual(expected);
  });

  it("writes into a caller's buffer", () => {
    const out = new Uint32Array(4);
    expect(philox4x32x10([0, 0, 0, 0], [0, 0], out)).toBe(out);
    expect(out[0]).toBe(0x6627e8d5);
  });
});
