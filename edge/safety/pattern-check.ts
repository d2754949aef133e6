// (4) Patterns: sexual content near a minor, spaced-out words, self-harm acts, weapon recipes.
import { baseWordVerdict, findBaseTerm } from "./category-term-check";
import { findLexical } from "./lexical-check";
import { findMinorCompound, findMinorProximity, hasMinorMarker } from "./minor-proximity";
import { foldToken } from "./normalize-prompt";
import { maskAllowedPhrases } from "./term-lists";
import type { SafetyCategory, SafetyCheck, SafetyVerdict } from "./types";

const SELF_HARM_ACT_RE = new RegExp(
  "(?:^| )(?:hang|hanging|hanged|kill|killing|killed|harm|harming|harmed|stab|stabbing|stabbed|" +
    "shoot|shooting|shot|poison|poisoning|poisoned|starve|starving|starved|drown|drowning|" +
    "drowned) (?:myself|himself|herself|yourself|urself|themselves|themself|ourselves)(?= |$)",
);
const WRIST_CUTTING_RE =
  /(?:^| )(?:slit|slitting|slashed|slashing|cut|cutting) (?:(?:my|his|her|their|your) )?wrists?(?= |$)/;
// An instruction cue up to three words before a weapon ("how to make a bomb", "recipe for
// napalm"), or a weapon up to two words before a document ("napalm recipe", "bomb diagram").
// Gerunds are left out on purpose: "the making of the atomic bomb" is a film poster.
const WEAPON =
  "(?:bomb|explosive|detonator|napalm|thermite|molotov|nerve agent|nerve gas|silencer|ied)s?";
const WEAPON_RECIPE_RE = new RegExp(
  "(?:^| )(?:how to|instructions?|diagram|blueprint|schematic|recipe|tutorial|step by step|" +
    `make|build|assemble|construct|synthesize)(?: [^ ]+){0,3} ${WEAPON}(?= |$)|` +
    `(?:^| )${WEAPON}(?: [^ ]+){0,2} (?:recipe|instructions?|diagram|blueprint|schematic|` +
    "tutorial)s?(?= |$)",
);

const PATTERNS: readonly { category: SafetyCategory; re: RegExp; matched: string }[] = [
  { category: "self_harm", re: SELF_HARM_ACT_RE, matched: "act on oneself" },
  { category: "self_harm", re: WRIST_CUTTING_RE, matched: "wrist cutting" },
  { category: "weapons_instructions", re: WEAPON_RECIPE_RE, matched: "weapon instructions" },
];

/** A spaced-out or split word ("n u d e", "n.u.d.e", "nu de") judged as the word it spells. */
function judgeJoined(joined: string, words: readonly string[]): SafetyVerdict | null {
  const word = foldToken(joined);
  const compound = findMinorCompound(word);
  if (compound !== null) return { category: "sexual_minors", matched: compound };
  const found = findBaseTerm(word) ?? findLexical(word);
  if (found?.category === "sexual" && hasMinorMarker(words)) {
    return { category: "sexual_minors", matched: found.matched };
  }
  return found;
}

/** Runs of three or more one-character tokens, joined, with a leading "a"/"i" tried off too. */
function findSpacedWord(words: readonly string[]): SafetyVerdict | null {
  for (let start = 0; start < words.length; start++) {
    let end = start;
    while (end < words.length && words[end]?.length === 1) end++;
    if (end - start >= 3) {
      const joined = words.slice(start, end).join("");
      const article = joined.startsWith("a") || joined.startsWith("i");
      const verdict =
        judgeJoined(joined, words) ?? (article ? judgeJoined(joined.slice(1), words) : null);
      if (verdict !== null) return verdict;
    }
    start = end;
  }
  return null;
}

/** Two short tokens that together spell a listed word ("nu de", "14 88"). */
function findSplitWord(words: readonly string[]): SafetyVerdict | null {
  for (let i = 0; i + 1 < words.length; i++) {
    const a = words[i] ?? "";
    const b = words[i + 1] ?? "";
    if (a.length > 3 || b.length > 3 || a.length + b.length < 4) continue;
    const verdict = baseWordVerdict(foldToken(a + b));
    if (verdict !== null) return verdict;
  }
  return null;
}

export const patternCheck: SafetyCheck = (input) => {
  const masked = maskAllowedPhrases(input.folded);
  const words = masked === input.folded ? input.words : masked.split(" ").filter(Boolean);
  const near = findMinorProximity(words);
  if (near !== null) return { category: "sexual_minors", matched: near };
  const compound = findMinorCompound(masked);
  if (compound !== null) return { category: "sexual_minors", matched: compound };
  const spaced = findSpacedWord(words) ?? findSplitWord(words);
  if (spaced !== null) return spaced;
  for (const { category, re, matched } of PATTERNS) {
    if (re.test(masked)) return { category, matched };
  }
  return null;
};
