// Removes invisible characters from a prompt before CLIP tokenization, so they cannot cost tokens.

/**
 * Whitespace that JavaScript's `\s` (and so the normaliser's whitespace collapse) misses.
 * NEL is whitespace to Rust and Python, so treat it as a space rather than deleting it.
 */
const UNCOLLAPSED_WHITESPACE = /\u0085/gu;

/**
 * Control (Cc), format (Cf: zero-width space/joiners, BOM, soft hyphen, bidi overrides) and lone
 * surrogate (Cs) characters, plus U+FFFD, minus the whitespace controls that the normaliser already
 * collapses into one space.
 *
 * Why: none of these is `\s`, `\p{L}` or `\p{N}`, so CLIP's split pattern turns each into its own
 * punctuation-like word and byte-level BPE spends 2–3 byte tokens on it. Pasted prompts carry them
 * invisibly (a ZWSP inside "photo" splits it into two fragments; a BOM costs 3 tokens), eating the
 * 75-token budget and shifting the embedding with no visible cause. The slow `CLIPTokenizer` in
 * transformers (its BasicTokenizer path) drops the same categories; the fast one does not.
 * Trade-off: emoji ZWJ sequences (👩‍🚀) lose their joiner and read as their separate emoji.
 */
const INVISIBLE = /(?![\t\n\v\f\r])[\p{Cc}\p{Cf}\p{Cs}\uFFFD]/gu;

export function stripInvisibleCharacters(text: string): string {
  return text.replace(UNCOLLAPSED_WHITESPACE, " ").replace(INVISIBLE, "");
}
