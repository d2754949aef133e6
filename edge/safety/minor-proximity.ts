// Sexual content near a minor: the combination that must always reject, whatever else matched.

// Each list is a map from word (and its plural in "s") to a strength, one lookup per word.
function strengths(lists: readonly [string, 1 | 2][]): ReadonlyMap<string, 1 | 2> {
  const map = new Map<string, 1 | 2>();
  for (const [list, strength] of lists) {
    for (const word of list.split(" ")) {
      map.set(word, strength);
      if (!map.has(`${word}s`)) map.set(`${word}s`, strength);
    }
  }
  return map;
}

// 2: a minor, on its own. 1: a word that also names adults ("the girls' night out"), a minor
// only next to explicit content, or after "little"/"young"/"small" ("young girl").
const MINOR = strengths([
  [
    "child children kid kiddie kiddy toddler infant baby babies newborn preteen tween teen " +
      "teenage teenaged teenager underage minor juvenile schoolgirl schoolboy prepubescent " +
      "pubescent loli shota lolita nymphet",
    2,
  ],
  ["girl boy daughter son", 1],
]);
const MINOR_QUALIFIER = new Set("little young small".split(" "));
const NUMBER_WORDS: ReadonlyMap<string, number> = new Map(
  (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " +
    "fifteen sixteen seventeen"
  )
    .split(" ")
    .map((word, value) => [word, value]),
);
const AGE_UNIT = new Set("year years yr yrs".split(" "));

// 2: explicit content, rejected anyway, and sexual_minors next to any minor term.
// 1: suggestive content, allowed for adults, sexual_minors next to a strong minor term.
// Swimwear and underwear are left out: "a mother in a bikini holding her baby" is an ordinary
// photo.
const SEXUAL = strengths([
  [
    "nude naked nudity topless bottomless sex sexual sexually porn porno pornographic erotic " +
      "erotica xxx nsfw genitals genitalia lewd fetish orgasm masturbating masturbation penis " +
      "vagina intercourse molest molested molesting rape raped",
    2,
  ],
  [
    "sexy seductive sensual lingerie panties provocative undressed undressing stripping " +
      "stripper kinky sultry busty cleavage",
    1,
  ],
]);

/** Words within this distance count as "near". */
export const MINOR_WINDOW = 8;

// One token holding both halves ("nakedchild", "teenporn"): a compound made to dodge boundaries.
const MINOR_FRAGMENT_RE = /child|kid|teen|girl|boy|baby|toddler|loli|shota|underage/;
const EXPLICIT_FRAGMENT_RE = /nude|naked|porn|sex|nsfw|xxx|erotic|lewd|hentai/;

const AGE_RE = /^([0-9]{1,2})(?:yo)?$/;

function ageValue(word: string): number | null {
  const spelled = NUMBER_WORDS.get(word);
  if (spelled !== undefined) return spelled;
  const first = word.charCodeAt(0);
  if (!(first >= 0x30 && first <= 0x39)) return null;
  const numeric = AGE_RE.exec(word);
  return numeric ? Number(numeric[1]) : null;
}

/** "12yo", "12 yo", "12 y/o", "twelve year old", "12-years-old": an age under 18. */
function isMinorAge(words: readonly string[], i: number): boolean {
  const word = words[i] ?? "";
  const age = ageValue(word);
  if (age === null || age >= 18) return false;
  if (word.endsWith("yo")) return true;
  const next = words[i + 1] ?? "";
  const after = words[i + 2];
  return (
    next === "yo" || (next === "y" && after === "o") || (AGE_UNIT.has(next) && after === "old")
  );
}

/** 2: a minor; 1: a word that names a minor only with explicit content; 0: neither. */
export function minorStrength(words: readonly string[], i: number): 0 | 1 | 2 {
  const word = words[i] ?? "";
  const strength = MINOR.get(word) ?? 0;
  if (strength === 2) return 2;
  if (strength === 1) return MINOR_QUALIFIER.has(words[i - 1] ?? "") ? 2 : 1;
  return isMinorAge(words, i) ? 2 : 0;
}

export function hasMinorMarker(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) if (minorStrength(words, i) > 0) return true;
  return false;
}

/** "<sexual word> near <minor word>" when the two are within MINOR_WINDOW words, else null. */
export function findMinorProximity(words: readonly string[]): string | null {
  const minors: { at: number; strength: number }[] = [];
  for (let i = 0; i < words.length; i++) {
    const strength = minorStrength(words, i);
    if (strength > 0) minors.push({ at: i, strength });
  }
  if (minors.length === 0) return null;
  for (let i = 0; i < words.length; i++) {
    const sexual = SEXUAL.get(words[i] ?? "") ?? 0;
    if (sexual === 0) continue;
    for (const minor of minors) {
      // Explicit pairs with any minor term; suggestive only with a strong one.
      if (Math.abs(minor.at - i) <= MINOR_WINDOW && sexual + minor.strength >= 3) {
        const minorWord = isMinorAge(words, minor.at) ? "an age under 18" : words[minor.at];
        return `${words[i]} near ${minorWord}`;
      }
    }
  }
  return null;
}

/** A single token that joins a minor fragment and an explicit one, else null. */
export function findMinorCompound(folded: string): string | null {
  if (!MINOR_FRAGMENT_RE.test(folded) || !EXPLICIT_FRAGMENT_RE.test(folded)) return null;
  for (const word of folded.split(" ")) {
    const minor = MINOR_FRAGMENT_RE.exec(word);
    const explicit = EXPLICIT_FRAGMENT_RE.exec(word);
    if (minor && explicit) return `${explicit[0]}+${minor[0]}`;
  }
  return null;
}
