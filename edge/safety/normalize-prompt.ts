// Unicode normalisation: builds the views of a prompt that every other safety check reads.
import { PROMPT_DELETED_CHARACTERS, stripPromptInvisibles } from "../../protocol/prompt-invisibles";
import { foldLookAlikes } from "./look-alikes";
import type { NormalizedPrompt } from "./types";

// The edge judges the words the model receives, so it deletes exactly what the origin deletes
// before tokenising (one list, in protocol/): format and control characters and U+FFFD. Deleting
// joins what is on either side: "top\uFFFDless" reaches the model as "topless".
// \v and \f reach the origin's tokenizer, which collapses them into a space; so here.
const FORM_SPACE_RE = /[\v\f]/g;
// Deleted at the edge only: fillers and selectors that Unicode calls letters or marks but that
// render as nothing (the origin passes them to the tokenizer). Lone surrogates are Cs, and so on
// the shared list.
export const EDGE_ONLY_INVISIBLE =
  "[\\u034F\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180D\\u3164\\uFE00-\\uFE0F\\uFFA0" +
  "\\u{E0100}-\\u{E01EF}]";
const HIDDEN_TEST_RE = new RegExp(
  `[\\v\\f\\u0085]|${PROMPT_DELETED_CHARACTERS}|${EDGE_ONLY_INVISIBLE}`,
  "u",
);
const EDGE_ONLY_INVISIBLE_RE = new RegExp(EDGE_ONLY_INVISIBLE, "gu");

// Anything outside printable ASCII, tab and newlines: only such text needs cleaning or folding.
const NON_ASCII_RE = /[^\t\n\r -~]/;
const MARKS_RE = /\p{M}+/gu;
const TOKEN_SEPARATOR_RE = /[^\p{L}\p{N}@$]+/u;
const ASCII_TOKEN_SEPARATOR_RE = /[^a-z0-9@$]+/;
const HAS_LETTER_RE = /\p{L}/u;
const LEET_CHAR_RE = /[0134578@$]/;
const LEET_CHARS_RE = /[0134578@$]/g;
const SYMBOLS_RE = /[@$]/g;
// "35mm", "4k", "1920s", "17yo", "3d", "12years": a number with a unit, not leetspeak.
const NUMBER_WITH_UNIT_RE = /^[0-9]+(?:[a-z]{1,3}|years?)$/;
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "8": "b",
  "@": "a",
  $: "s",
};

/** NFKC with invisible and control characters removed: the normalisation output. */
export function cleanText(raw: string): string {
  if (!NON_ASCII_RE.test(raw)) return raw;
  const cleaned = HIDDEN_TEST_RE.test(raw)
    ? stripPromptInvisibles(raw.replace(FORM_SPACE_RE, " ")).replace(EDGE_ONLY_INVISIBLE_RE, "")
    : raw;
  return cleaned.normalize("NFKC");
}

/** Drops combining marks ("pörn", zalgo text) and maps look-alike letters to Latin. */
function toPlain(text: string): string {
  return foldLookAlikes(text.normalize("NFD").replace(MARKS_RE, "")).normalize("NFC");
}

/** Leetspeak folding, only inside tokens that also hold a letter ("nud3" but not "455"). */
export function foldToken(token: string): string {
  if (!LEET_CHAR_RE.test(token)) return token;
  if (!HAS_LETTER_RE.test(token) || NUMBER_WITH_UNIT_RE.test(token)) {
    return token.replace(SYMBOLS_RE, "");
  }
  return token.replace(LEET_CHARS_RE, (char) => LEET[char] ?? char);
}

function foldWords(plain: string, ascii: boolean): string[] {
  const lower = plain.toLowerCase();
  const leet = LEET_CHAR_RE.test(lower);
  const words: string[] = [];
  for (const token of lower.split(ascii ? ASCII_TOKEN_SEPARATOR_RE : TOKEN_SEPARATOR_RE)) {
    const folded = leet ? foldToken(token) : token;
    if (folded !== "") words.push(folded);
  }
  return words;
}

/** Builds every view of the prompt once; checks never normalise again. */
export function normalizePrompt(raw: string): NormalizedPrompt {
  const text = cleanText(raw);
  const plain = NON_ASCII_RE.test(text) ? toPlain(text) : text;
  const words = foldWords(plain, !NON_ASCII_RE.test(plain));
  return { text, plain, folded: words.join(" "), words };
}

/** The folded form of a policy term, so that terms and prompts are compared alike. */
export function foldTerm(term: string): string {
  return normalizePrompt(term).folded;
}
