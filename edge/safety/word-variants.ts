// Spellings that dodge the lists: a word split by in-word marks ("top-less", "sui.cide",
// "su!c!de"), stretched ("naaaked"), or carrying a suffix ("nakedly", "eroticism", "self harming").
import { foldToken } from "./normalize-prompt";

// Marks inside a word that the folded view splits on but a reader (and the model) reads through.
const MARK = "[-._'\u2019!|]";
const HAS_IN_WORD_MARK_RE = new RegExp(`[\\p{L}\\p{N}]${MARK}+[\\p{L}\\p{N}]`, "u");
const JOIN_SEPARATOR_RE = /[^\p{L}\p{N}@$\-._'\u2019!|]+/u;
const OUTER_MARKS_RE = new RegExp(`^${MARK}+|${MARK}+$`, "gu");
const SEPARATORS_RE = /[-._'\u2019]+/g;
// A token with marks between its letters or digits ("top-less", "don't", "3.5").
const MARKED_TOKEN_RE = new RegExp(`[\\p{L}\\p{N}@$]+(?:${MARK}+[\\p{L}\\p{N}@$]+)+`, "gu");
// The same for ASCII text, which most prompts are: the non-Unicode regexes run several times faster.
const NON_ASCII_RE = /[^\t\n\r -~]/;
const ASCII_IN_WORD_MARK_RE = /[a-z0-9][-._'!|]+[a-z0-9]/i;
const ASCII_MARKED_TOKEN_RE = /[a-z0-9@$]+(?:[-._'!|]+[a-z0-9@$]+)+/g;
const ASCII_STRETCHED_RE = /([a-z])\1\1/;
// Any mark but an apostrophe: "Hooker's" is a name in the possessive, "dil.do" is no word.
const NON_APOSTROPHE_MARK_RE = /[-._!|]/;
const HAS_LETTER_RE = /\p{L}/u;
const STRETCHED_RE = /(\p{L})\1\1/u;
const STRETCHED_RUNS_RE = /(\p{L})\1{2,}/gu;
// Suffixes the lists mean to cover with their stem, longest reading first ("erotically" →
// "erotic"), then shortest ("suicidally" → "suicidal"). A stem keeps four letters at least, so
// "sexism" never reads as "sex".
const SUFFIX_ORDERS = [
  ["ally", "ly", "ism", "ing"],
  ["ly", "ism", "ing"],
] as const;
const MIN_STEM = 4;

/** Whether a word is one the lists name (the caller's vocabulary). */
export type ListedWord = (word: string) => boolean;

export interface JoinedWords {
  /** The words that held an in-word mark, read through: "!" as "i", "|" as `bar`. */
  readonly joined: readonly string[];
  /** Those that held a mark other than an apostrophe: judged by the lexical list too. */
  readonly rejoined: readonly string[];
}

function readToken(token: string, bar: "l" | "i"): string {
  const inner = token.replace(OUTER_MARKS_RE, "");
  return foldToken(inner.replace(SEPARATORS_RE, "").replaceAll("!", "i").replaceAll("|", bar));
}

/** The words of `plain` that hold an in-word mark, read through ("top-less" → "topless");
 *  null when there is none. */
export function joinedWords(plain: string, bar: "l" | "i"): JoinedWords | null {
  const ascii = !NON_ASCII_RE.test(plain);
  if (!(ascii ? ASCII_IN_WORD_MARK_RE : HAS_IN_WORD_MARK_RE).test(plain)) return null;
  const joined: string[] = [];
  const rejoined: string[] = [];
  const marked = ascii ? ASCII_MARKED_TOKEN_RE : MARKED_TOKEN_RE;
  for (const [token] of plain.toLowerCase().matchAll(marked)) {
    const word = readToken(token, bar);
    // "4.55" is a price, not leetspeak for a word: only tokens with a letter are read through.
    if (!HAS_LETTER_RE.test(word)) continue;
    joined.push(word);
    if (NON_APOSTROPHE_MARK_RE.test(token)) rejoined.push(word);
  }
  return { joined, rejoined };
}

/** Every word of the prompt with in-word marks read through (the slower, whole reading). */
export function joinedReading(plain: string, bar: "l" | "i"): string[] {
  const words: string[] = [];
  for (const token of plain.toLowerCase().split(JOIN_SEPARATOR_RE)) {
    const word = readToken(token, bar);
    if (word !== "") words.push(word);
  }
  return words;
}

function stem(word: string, suffixes: readonly string[]): string {
  for (const suffix of suffixes) {
    if (word.length - suffix.length >= MIN_STEM && word.endsWith(suffix)) {
      return word.slice(0, -suffix.length);
    }
  }
  return word;
}

/** The first listed reading of a word: stretched runs cut to one letter or two ("naaaked" →
 *  "naked"), then a suffix cut off ("nakedly" → "naked"); the word itself when none is listed. */
function listedVariant(word: string, listed: ListedWord, anyStretched: boolean): string {
  const stretched = anyStretched && STRETCHED_RE.test(word);
  const suffixed = word.endsWith("ly") || word.endsWith("ism") || word.endsWith("ing");
  if ((!stretched && !suffixed) || listed(word)) return word;
  const forms = stretched
    ? [word.replace(STRETCHED_RUNS_RE, "$1"), word.replace(STRETCHED_RUNS_RE, "$1$1")]
    : [word];
  for (const form of forms) {
    if (form !== word && listed(form)) return form;
    for (const suffixes of SUFFIX_ORDERS) {
      const cut = stem(form, suffixes);
      if (cut !== form && listed(cut)) return cut;
    }
  }
  return word;
}

/** `words` with every word that has a listed variant replaced by it; null when none has. */
export function readThrough(words: readonly string[], listed: ListedWord): string[] | null {
  let changed = false;
  const text = words.join(" ");
  const anyStretched = (NON_ASCII_RE.test(text) ? STRETCHED_RE : ASCII_STRETCHED_RE).test(text);
  const read = words.map((word) => {
    const variant = listedVariant(word, listed, anyStretched);
    if (variant !== word) changed = true;
    return variant;
  });
  return changed ? read : null;
}
