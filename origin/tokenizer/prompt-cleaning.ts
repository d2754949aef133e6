// Removes invisible characters from a prompt before CLIP tokenization, so they cannot cost tokens.
import { stripPromptInvisibles } from "../../protocol/prompt-invisibles";

/**
 * Deletes control (Cc), format (Cf: zero-width space/joiners, BOM, soft hyphen, bidi overrides)
 * and lone surrogate (Cs) characters, plus U+FFFD, and turns NEL into a space; tab, line feed,
 * vertical tab, form feed and carriage return stay for the normaliser's whitespace collapse.
 *
 * Why: none of these is `\s`, `\p{L}` or `\p{N}`, so CLIP's split pattern turns each into its own
 * punctuation-like word and byte-level BPE spends 2–3 byte tokens on it. Pasted prompts carry them
 * invisibly (a ZWSP inside "photo" splits it into two fragments; a BOM costs 3 tokens), eating the
 * 75-token budget and shifting the embedding with no visible cause. The slow `CLIPTokenizer` in
 * transformers (its BasicTokenizer path) drops the same categories; the fast one does not.
 * Trade-off: emoji ZWJ sequences (👩‍🚀) lose their joiner and read as their separate emoji.
 *
 * The list lives in protocol/ because the edge's safety prefilter must delete exactly the same
 * characters: one deleted here but kept there lets "top\uFFFDless" past the edge as two words.
 */
export function stripInvisibleCharacters(text: string): string {
  return stripPromptInvisibles(text);
}
