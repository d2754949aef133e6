// "1488", a neo-Nazi slogan that is also a year: read as the year only where the prompt says so.

// Words that make a plainly written "1488" a date: before it ("in 1488", "circa 1488") or after
// it ("1488 AD", "a 1488 map").
const YEAR_BEFORE = new Set(
  "in of year circa c ca since from until till to by around about before after dated anno".split(
    " ",
  ),
);
const YEAR_AFTER = new Set(
  "ad ce map maps painting manuscript engraving woodcut fresco chart illustration edition".split(
    " ",
  ),
);
// Words that keep it a slogan wherever they stand: "nazi flag, 1488" is no date.
const HATE_CONTEXT = new Set(
  (
    "nazi nazis neonazi neonazis swastika swastikas hitler reich aryan skinhead skinheads heil " +
    "sonnenrad totenkopf wpww fascist fascists"
  ).split(" "),
);
// "$14.88" or "14,88": a price, not the slogan split in two.
const DECIMAL_RE = /(?:^|[^\p{N}])14[.,]88(?!\p{N})/u;

/** Whether the words from `start` spell "1488" split up ("14 88", "14/88", "1 4 8 8"). */
function splitAt(words: readonly string[], start: number): boolean {
  let spelled = "";
  for (let i = start; i < words.length && spelled.length < 4; i++) spelled += words[i];
  return spelled === "1488" && words[start] !== "1488";
}

/** "1488" as the slogan, else null. `plain` tells a price ("14.88") from a split slogan. */
export function findHateNumber(words: readonly string[], plain: string): string | null {
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word === "1488") {
      const dated = YEAR_BEFORE.has(words[i - 1] ?? "") || YEAR_AFTER.has(words[i + 1] ?? "");
      if (!dated || words.some((other) => HATE_CONTEXT.has(other))) return "1488";
    } else if (word.startsWith("1") && splitAt(words, i) && !DECIMAL_RE.test(plain)) {
      return "1488";
    }
  }
  return null;
}
