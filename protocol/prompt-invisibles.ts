// The characters a prompt loses before CLIP reads it: one list for the origin's tokenizer and the
// edge's safety prefilter, so that the edge judges the words the model receives.

/**
 * Whitespace that JavaScript's `\s` (and so the tokenizer's whitespace collapse) misses. NEL is
 * whitespace to Rust and Python, so it becomes a space rather than disappearing.
 */
const UNCOLLAPSED_WHITESPACE_RE = /\u0085/gu;

/**
 * Control (Cc), format (Cf: zero-width space/joiners, BOM, soft hyphen, bidi overrides) and lone
 * surrogate (Cs) characters, plus U+FFFD, minus the whitespace controls (\t \n \v \f \r) that the
 * tokenizer's normaliser collapses into one space. Deleting them joins what is on either side:
 * "top\uFFFDless" reaches the model as "topless".
 */
export const PROMPT_DELETED_CHARACTERS = "(?![\\t\\n\\v\\f\\r])[\\p{Cc}\\p{Cf}\\p{Cs}\\uFFFD]";

const DELETED_RE = new RegExp(PROMPT_DELETED_CHARACTERS, "gu");

/** The prompt with NEL turned into a space and PROMPT_DELETED_CHARACTERS removed. */
export function stripPromptInvisibles(text: string): string {
  return text.replace(UNCOLLAPSED_WHITESPACE_RE, " ").replace(DELETED_RE, "");
}
