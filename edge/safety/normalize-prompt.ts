// Unicode normalisation: builds the views of a prompt that every other safety check reads.
import { foldLookAlikes } from "./look-alikes";
import type { NormalizedPrompt } from "./types";

// Controls that separate words for a tokenizer (vertical tab, form feed, information separators,
// NEL): they become a space, so that stripping them cannot glue two words into one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding these controls is its job.
const SPACE_LIKE_RE = /[\u000B\u000C\u001C-\u001F\u0085]/g;

// Format characters (Cf: zero-width U+200B–U+200F, bidi embeddings and overrides U+202A–U+202E,
// U+2060–U+2064, isolates, U+FEFF, tag characters), other C0/C1 controls (Cc), lone surrogates
// (Cs), and fillers and selectors that Unicode calls letters or marks but that render as nothing.
// Tab, line feed and carriage return stay: they are ordinary whitespace.
const INVISIBLE =
  "(?![\\t\\n\\r])[\\p{Cc}\\p{Cf}\\p{Cs}\\u034F\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180D" +
  "\\u3164\\uFE00-\\uFE0F\\uFFA0\\u{E0100}-\\u{E01EF}]";
const INVISIBLE_TEST_RE = new RegExp(INVISIBLE, "u");
const INVISIBLE_RE = new RegExp(INVISIBLE, "gu");

// Anything outside printable ASCII, tab and newlines: only such text needs cleaning or folding.
const NON_ASCII_RE = /[^\t\n\r -~]/;
const MARKS_RE = /\p{M}+/gu;
const TOKEN_SEPARATOR_RE = /[^\p{L}\p{N}@$]+/u;
const ASCII_TOKEN_SEPARATOR_RE = /[^a-z0-9@$]+/;
const HAS_LETTER_RE = /\p{L}/u;
const LEET_CHAR_RE = /[013457@$]/;
const LEET_CHARS_RE = /[013457@$]/g;
const SYMBOLS_RE = /[@$]/g;
// "35mm", "4k", "1920s", "17yo", "3d": a number with a unit, not leetspeak.
const NUMBER_WITH_UNIT_RE = /^[0-9]+[a-z]{1,3}$/;
const LEET: Readonly<Record<string, string>> = {
  "0": "o",
  "1": "i",
  "3": "e",
  "4": "a",
  "5": "s",
  "7": "t",
  "@": "a",
  $: "s",
};

/** NFKC with invisible and control characters removed: the normalisation output. */
export function cleanText(raw: string): string {
  if (!NON_ASCII_RE.test(raw)) return raw;
  const cleaned = INVISIBLE_TEST_RE.test(raw)
    ? raw.replace(SPACE_LIKE_RE, " ").replace(INVISIBLE_RE, "")
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
