// Sexual content in a prompt that names a minor: the combination that must always reject.
//
// "Near" means anywhere in the same prompt: CLIP's text encoder binds attributes across the whole
// prompt, so "a child standing on a sunny beach at golden hour, lingerie" puts the lingerie on
// the child however many words apart they are written.

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
// only next to explicit content, or after "little"/"young"/"small"/"school" ("young girl").
const MINOR = strengths([
  [
    "child children kid kiddie kiddy kiddo toddler infant baby babies newborn preteen tween " +
      "teen teenage teenaged teenager underage underaged minors juvenile adolescent youngster " +
      "schoolgirl schoolboy schoolchild schoolchildren schoolkid schooler preschooler " +
      "highschooler homeschooler grader kindergartner kindergartener prepubescent pubescent " +
      "loli shota lolita nymphet",
    2,
  ],
  ["girl boy daughter son", 1],
]);
const MINOR_QUALIFIER = new Set("little young small school".split(" "));
// "minor" is clearly a minor only as a noun ("a minor in lingerie"); elsewhere ("minor
// scratches") it counts as a weak term.
const MINOR_NOUN_NEXT = new Set(
  (
    "in on at with wearing dressed posing who is and or lying sitting standing " +
    "girl girls boy boys"
  ).split(" "),
);
const NUMBER_WORDS: ReadonlyMap<string, number> = new Map(
  (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " +
    "fifteen sixteen seventeen"
  )
    .split(" ")
    .map((word, value) => [word, value]),
);
const AGE_UNIT = new Set("year years yr yrs".split(" "));
const AGE_CUE = new Set("age aged ages".split(" "));
// "a 12 year old whisky": an age, but not a person's.
const AGED_THING = new Set(
  "whisky whiskey scotch bourbon rum cognac brandy wine port cheese vinegar car house tree".split(
    " ",
  ),
);

// 2: explicit content, rejected anyway, and sexual_minors with any minor term.
// 1: suggestive content, allowed for adults, sexual_minors with a strong minor term.
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

/** Whether the minor rule names a word, as a minor or as sexual content. */
export function isMinorRuleWord(word: string): boolean {
  return MINOR.has(word) || SEXUAL.has(word) || word === "minor";
}

// One token holding both halves ("nakedchild", "teenporn"): a compound made to dodge boundaries.
const MINOR_FRAGMENT_RE = /child|kid|teen|girl|boy|baby|toddler|loli|shota|underage/;
const EXPLICIT_FRAGMENT_RE = /nude|naked|porn|sex|nsfw|xxx|erotic|lewd|hentai/;

// "12", "12yo", "12yr", "12yrs", "12years" (the last only before "old").
const AGE_RE = /^([0-9]{1,2})(yo|yrs?|years?)?$/;

// A bare number right after a person, bracketed or set off by commas: "girl (12)", "a boy, 12,".
const AGE_BESIDE_PERSON_RE = new RegExp(
  "(?:^|[^\\p{L}])(?:girl|boy|child|kid|daughter|son|woman|man|lady|model|person|teen)s?" +
    `\\s*(?:\\(|,)\\s*(?:1[0-7]|0?[0-9]|${[...NUMBER_WORDS.keys()].join("|")})` +
    "\\s*(?:\\)|,|$)",
  "iu",
);

function ageValue(word: string): { age: number; unit: string } | null {
  const spelled = NUMBER_WORDS.get(word);
  if (spelled !== undefined) return { age: spelled, unit: "" };
  const first = word.charCodeAt(0);
  if (!(first >= 0x30 && first <= 0x39)) return null;
  const numeric = AGE_RE.exec(word);
  return numeric ? { age: Number(numeric[1]), unit: numeric[2] ?? "" } : null;
}

/** An age under 18 for a person: "12yo", "12 y/o", "twelve year old", "12yrs", "aged 12",
 *  "age of 12", "12 years of age". */
function isMinorAge(words: readonly string[], i: number): boolean {
  const value = ageValue(words[i] ?? "");
  if (value === null || value.age >= 18) return false;
  const [next = "", after = "", third = ""] = words.slice(i + 1, i + 4);
  const prev = words[i - 1] ?? "";
  if (AGE_CUE.has(prev) || (prev === "of" && AGE_CUE.has(words[i - 2] ?? ""))) return true;
  if (value.unit === "yo" || value.unit.startsWith("yr")) return !AGED_THING.has(next);
  if (value.unit !== "") return next === "old" && !AGED_THING.has(after);
  if (next === "yo" || (next === "y" && after === "o")) return true;
  if (!AGE_UNIT.has(next)) return false;
  return (after === "old" && !AGED_THING.has(third)) || (after === "of" && third === "age");
}

/** 2: a minor; 1: a word that names a minor only with explicit content; 0: neither. */
export function minorStrength(words: readonly string[], i: number): 0 | 1 | 2 {
  const word = words[i] ?? "";
  if (word === "minor") {
    const next = words[i + 1];
    return next === undefined || MINOR_NOUN_NEXT.has(next) ? 2 : 1;
  }
  const strength = MINOR.get(word) ?? 0;
  if (strength === 2) return 2;
  if (strength === 1) return MINOR_QUALIFIER.has(words[i - 1] ?? "") ? 2 : 1;
  return isMinorAge(words, i) ? 2 : 0;
}

/** Whether the prompt names anyone who may be a minor (`plain` adds "girl (12)" forms). */
export function hasMinorMarker(words: readonly string[], plain = ""): boolean {
  for (let i = 0; i < words.length; i++) if (minorStrength(words, i) > 0) return true;
  return AGE_BESIDE_PERSON_RE.test(plain);
}

/** The first sexual word of each strength, by index. */
function sexualWords(words: readonly string[]): { explicit: number; any: number } {
  let explicit = -1;
  let any = -1;
  for (let i = 0; i < words.length; i++) {
    const sexual = SEXUAL.get(words[i] ?? "") ?? 0;
    if (sexual === 0) continue;
    if (any === -1) any = i;
    if (sexual === 2) {
      explicit = i;
      break;
    }
  }
  return { explicit, any };
}

/**
 * "<sexual word> near <minor>" when the prompt holds both, else null: explicit content with any
 * minor term, suggestive content with a clear one. `plain` adds "girl (12)" forms of an age.
 */
export function findMinorProximity(words: readonly string[], plain = ""): string | null {
  const { explicit, any } = sexualWords(words);
  if (any === -1) return null;
  for (let i = 0; i < words.length; i++) {
    const strength = minorStrength(words, i);
    const sexualAt = strength === 2 ? any : strength === 1 ? explicit : -1;
    if (sexualAt === -1) continue;
    const minor = MINOR.has(words[i] ?? "") || words[i] === "minor" ? words[i] : "an age under 18";
    return `${words[sexualAt]} near ${minor}`;
  }
  return AGE_BESIDE_PERSON_RE.test(plain) ? `${words[any]} near an age under 18` : null;
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
