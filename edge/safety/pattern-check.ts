// (4) Patterns: sexual content with a minor, split, spaced and stretched words, self-harm acts,
// weapon recipes, the "1488" slogan.
import { baseWordVerdict, findBaseTerm, isBaseTermWord } from "./category-term-check";
import { findHateNumber } from "./hate-numbers";
import { findLexical } from "./lexical-check";
import {
  findMinorCompound,
  findMinorProximity,
  hasMinorMarker,
  isMinorRuleWord,
} from "./minor-proximity";
import { foldToken } from "./normalize-prompt";
import { maskAllowedPhrases } from "./term-lists";
import type { SafetyCategory, SafetyCheck, SafetyVerdict } from "./types";
import { joinedReading, joinedWords, type ListedWord, readThrough } from "./word-variants";

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

/** A sexual finding in a prompt that names a minor is sexual_minors. */
function withMinors(
  found: SafetyVerdict | null,
  words: readonly string[],
  plain: string,
): SafetyVerdict | null {
  if (found?.category === "sexual" && hasMinorMarker(words, plain)) {
    return { category: "sexual_minors", matched: found.matched };
  }
  return found;
}

/** Folded words judged on their own by every list: the compound minor rule, the base terms and
 *  obscenity (in the prompt `words`, for the minor marker). */
function judgeWords(folded: string, words: readonly string[], plain: string) {
  const compound = findMinorCompound(folded);
  if (compound !== null) return { category: "sexual_minors", matched: compound } as const;
  return withMinors(findBaseTerm(folded) ?? findLexical(folded), words, plain);
}

/** A spaced-out or split word ("n u d e", "n.u.d.e", "nu de") judged as the word it spells. */
function judgeJoined(joined: string, words: readonly string[], plain: string) {
  return judgeWords(foldToken(joined), words, plain);
}

/** Runs of three or more one-character tokens, joined, with a leading "a"/"i" tried off too. */
function findSpacedWord(words: readonly string[], plain: string): SafetyVerdict | null {
  for (let start = 0; start < words.length; start++) {
    let end = start;
    while (end < words.length && words[end]?.length === 1) end++;
    if (end - start >= 3) {
      const joined = words.slice(start, end).join("");
      const article = joined.startsWith("a") || joined.startsWith("i");
      const verdict =
        judgeJoined(joined, words, plain) ??
        (article ? judgeJoined(joined.slice(1), words, plain) : null);
      if (verdict !== null) return verdict;
    }
    start = end;
  }
  return null;
}

/** Two short tokens that together spell a listed word ("nu de"). */
function findSplitWord(words: readonly string[], plain: string): SafetyVerdict | null {
  for (let i = 0; i + 1 < words.length; i++) {
    const a = words[i] ?? "";
    const b = words[i + 1] ?? "";
    if (a.length > 3 || b.length > 3 || a.length + b.length < 4) continue;
    const verdict = withMinors(baseWordVerdict(foldToken(a + b)), words, plain);
    if (verdict !== null) return verdict;
  }
  return null;
}

/** One reading of the prompt's words, judged by the minor rule and the category lists. */
function judgeReading(
  reading: readonly string[],
  words: readonly string[],
  plain: string,
): SafetyVerdict | null {
  const masked = maskAllowedPhrases(reading.join(" "));
  const near = findMinorProximity(masked.split(" ").filter(Boolean), plain);
  if (near !== null) return { category: "sexual_minors", matched: near };
  const compound = findMinorCompound(masked);
  if (compound !== null) return { category: "sexual_minors", matched: compound };
  return withMinors(findBaseTerm(masked), words, plain);
}

/** A word the base lists or the minor rule name (a base term's word, plural included). */
const isListedWord: ListedWord = (word) => isBaseTermWord(word) || isMinorRuleWord(word);

/** The prompt read through in-word marks ("top-less", "su!c!de"), unstretched ("naaaked") and
 *  without suffixes ("nakedly", "self harming"), where that reading names a listed word. */
function findVariantSpelling(words: readonly string[], plain: string): SafetyVerdict | null {
  const read = readThrough(words, isListedWord);
  const verdict = read === null ? null : judgeReading(read, words, plain);
  if (verdict !== null) return verdict;
  for (const bar of plain.includes("|") ? (["l", "i"] as const) : (["l"] as const)) {
    const joined = joinedWords(plain, bar);
    if (joined === null) return null;
    if (joined.rejoined.length > 0) {
      const found = judgeWords(joined.rejoined.join(" "), words, plain);
      if (found !== null) return found;
    }
    // The whole reading only where a joined word is, or reads through to, a listed word.
    if (readThrough(joined.joined, isListedWord) === null && !joined.joined.some(isListedWord)) {
      continue;
    }
    const reading = joinedReading(plain, bar);
    const found = judgeReading(readThrough(reading, isListedWord) ?? reading, words, plain);
    if (found !== null) return found;
  }
  return null;
}

export const patternCheck: SafetyCheck = (input) => {
  const masked = maskAllowedPhrases(input.folded);
  const words = masked === input.folded ? input.words : masked.split(" ").filter(Boolean);
  const plain = input.plain;
  const near = findMinorProximity(words, plain);
  if (near !== null) return { category: "sexual_minors", matched: near };
  const compound = findMinorCompound(masked);
  if (compound !== null) return { category: "sexual_minors", matched: compound };
  const spelled =
    findSpacedWord(words, plain) ??
    findSplitWord(words, plain) ??
    findVariantSpelling(words, plain);
  if (spelled !== null) return spelled;
  for (const { category, re, matched } of PATTERNS) {
    if (re.test(masked)) return { category, matched };
  }
  const slogan = findHateNumber(words, plain);
  return slogan === null ? null : { category: "hate", matched: slogan };
};
