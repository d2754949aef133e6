// Word-boundary matching of policy terms (base lists and tenant additions) in the folded view.
import { foldTerm } from "./normalize-prompt";
import {
  SAFETY_CATEGORIES,
  type SafetyCategory,
  type SafetyVerdict,
  type TermMatcher,
} from "./types";

export interface PolicyTerm {
  readonly category: SafetyCategory;
  readonly term: string;
}

// Scripts written without spaces between words: their terms match anywhere, not on boundaries.
const UNSPACED_SCRIPT_RE =
  /[\u0E00-\u0E7F\u1100-\u11FF\u3040-\u30FF\u3400-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF]/;
const REGEX_SPECIAL_RE = /[.*+?^${}()|[\]\\]/g;

function escapeRegex(term: string): string {
  return term.replace(REGEX_SPECIAL_RE, "\\$&");
}

function alternation(terms: readonly string[]): string {
  return [...terms]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegex)
    .join("|");
}

/** A regex whose group 1 (bounded, optional plural) or group 2 (unspaced script) is the term. */
function compileCategory(terms: readonly string[]): RegExp {
  const bounded = terms.filter((term) => !UNSPACED_SCRIPT_RE.test(term));
  const unbounded = terms.filter((term) => UNSPACED_SCRIPT_RE.test(term));
  const branches: string[] = [];
  if (bounded.length > 0) branches.push(`(?:^| )(${alternation(bounded)})(?:e?s)?(?= |$)`);
  if (unbounded.length > 0) branches.push(`(${alternation(unbounded)})`);
  return new RegExp(branches.join("|"));
}

/** Folds and groups terms by category; a term that folds to nothing is a policy error. */
export function groupFoldedTerms(entries: Iterable<PolicyTerm>): Map<SafetyCategory, Set<string>> {
  const grouped = new Map<SafetyCategory, Set<string>>();
  for (const { category, term } of entries) {
    const folded = foldTerm(term);
    if (folded === "") throw new Error(`policy term folds to nothing in category ${category}`);
    const set = grouped.get(category) ?? new Set<string>();
    set.add(folded);
    grouped.set(category, set);
  }
  return grouped;
}

/** Compiles terms into a matcher that reports the most severe category found. */
export function compileTermMatcher(entries: Iterable<PolicyTerm>): TermMatcher {
  return matcherFromGroups(groupFoldedTerms(entries));
}

/** As compileTermMatcher, from terms already folded and grouped. */
export function matcherFromGroups(
  grouped: ReadonlyMap<SafetyCategory, ReadonlySet<string>>,
): TermMatcher {
  const compiled: { category: SafetyCategory; re: RegExp }[] = [];
  for (const category of SAFETY_CATEGORIES) {
    const terms = grouped.get(category);
    if (terms && terms.size > 0) compiled.push({ category, re: compileCategory([...terms]) });
  }
  return {
    find(folded: string): SafetyVerdict | null {
      for (const { category, re } of compiled) {
        const match = re.exec(folded);
        if (match) return { category, matched: match[1] ?? match[2] ?? match[0] };
      }
      return null;
    },
  };
}

/** Removes allow-listed phrases ("al gore", "naked eye") before term and pattern matching. */
export function compilePhraseMask(phrases: readonly string[]): (folded: string) => string {
  const folded = [...new Set(phrases.map(foldTerm))];
  const re = new RegExp(`(?:^| )(?:${alternation(folded)})(?:e?s)?(?= |$)`, "g");
  return (text) => text.replace(re, "");
}
