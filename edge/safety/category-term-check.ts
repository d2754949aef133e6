// (3) Category term lists: the base policy's terms, on word boundaries in the folded view.
import { basePolicyTerms, maskAllowedPhrases } from "./term-lists";
import { compileTermMatcher, groupFoldedTerms } from "./term-matcher";
import type { SafetyCategory, SafetyCheck, SafetyVerdict } from "./types";

const baseTerms = compileTermMatcher(basePolicyTerms());

// Single-word terms by word, for re-joined fragments ("nu de", "n u d e") in the pattern check.
const baseWords = new Map<string, SafetyCategory>();
for (const [category, terms] of groupFoldedTerms(basePolicyTerms())) {
  for (const term of terms) {
    if (!term.includes(" ") && !baseWords.has(term)) baseWords.set(term, category);
  }
}

// Every word of every base term ("self" and "harm" of "self harm"), for spelling variants.
const baseTermWords = new Set<string>();
for (const terms of groupFoldedTerms(basePolicyTerms()).values()) {
  for (const term of terms) for (const word of term.split(" ")) baseTermWords.add(word);
}

/** Whether a word, or the singular of a plural in "s"/"es", is a word of some base term. */
export function isBaseTermWord(word: string): boolean {
  return (
    baseTermWords.has(word) ||
    (word.endsWith("s") && baseTermWords.has(word.slice(0, -1))) ||
    (word.endsWith("es") && baseTermWords.has(word.slice(0, -2)))
  );
}

/** The category of a single-word base term, plurals in "s"/"es" included. */
export function baseWordVerdict(word: string): SafetyVerdict | null {
  const stems = [word];
  if (word.endsWith("s")) stems.push(word.slice(0, -1));
  if (word.endsWith("es")) stems.push(word.slice(0, -2));
  for (const stem of stems) {
    const category = baseWords.get(stem);
    if (category !== undefined) return { category, matched: stem };
  }
  return null;
}

/** The most severe base term in a folded view (allowed phrases already removed or not). */
export function findBaseTerm(folded: string): SafetyVerdict | null {
  return baseTerms.find(folded);
}

export const categoryTermCheck: SafetyCheck = (input) =>
  baseTerms.find(maskAllowedPhrases(input.folded));
