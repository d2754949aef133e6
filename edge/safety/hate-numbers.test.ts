import { describe, expect, it } from "vitest";
import { runSafety } from "./prefilter";

describe('"1488": the slogan, not the year', () => {
  it.each([
    "1488",
    "a man with a 1488 tattoo on his neck",
    "a banner reading 14/88",
    "14 88",
    "1 4 8 8",
    "Europe 1488",
    "a nazi flag in 1488",
  ])("rejects %s as hate", (prompt) => {
    expect(runSafety(prompt)).toMatchObject({ category: "hate", matched: "1488" });
  });

  it.each([
    "a map of Europe in 1488",
    "the year 1488, a busy harbour",
    "circa 1488, oil on panel",
    "a 1488 woodcut of a city",
    "a castle built 1488 AD",
    "a price tag of $14.88",
    "a receipt for 14,88 €",
  ])("allows %s", (prompt) => {
    expect(runSafety(prompt).decision).toBe("allow");
  });
});
