// Lexical matching with obscenity's English dataset and recommended transformers, built once.
import {
  DataSet,
  englishDataset,
  englishRecommendedBlacklistMatcherTransformers,
  englishRecommendedTransformers,
  RegExpMatcher,
} from "obscenity";
import { buildPrescreen } from "./lexical-prescreen";
import { hasMinorMarker } from "./minor-proximity";
import { maskAllowedPhrases } from "./term-lists";
import type { SafetyCategory, SafetyCheck, SafetyVerdict } from "./types";

type LexicalCategory = Extract<SafetyCategory, "sexual" | "hate" | "profanity">;

const SEXUAL = [
  ..."anal anus bestiality blowjob boob buttplug cock cum deepthroat dick dildo".split(" "),
  ..."doggystyle ejaculate felch fellatio fisting gangbang handjob hentai hooker".split(" "),
  ..."incest jizz lubejob masturbate orgasm orgy penis porn pussy rape scat semen".split(" "),
  ..."sex slut tit vagina wank whore".split(" "),
  "double penetration",
  "finger bang",
  "jerk off",
];
const HATE = [
  ..."abo abeed africoon arabush boonga chingchong chink dyke fag kike negro".split(" "),
  ..."nigger retard spastic tranny".split(" "),
];
const PROFANITY = "arse ass bastard bitch bollocks cuck cunt fuck piss prick shit turd twat";

/** Every word of obscenity's English dataset, by category (a test pins the coverage). */
export const LEXICAL_CATEGORY: ReadonlyMap<string, LexicalCategory> = new Map([
  ...SEXUAL.map((word) => [word, "sexual"] as const),
  ...HATE.map((word) => [word, "hate"] as const),
  ...PROFANITY.split(" ").map((word) => [word, "profanity"] as const),
]);

// Harmless words and phrases that contain a dataset word, by that word (obscenity's own whitelist
// misses them). A phrase names the harmless sense ("blue tit", "Hooker's green", "chink of
// light"), so the word alone, or in any other phrase, is still matched. Whitelisted spans are
// found after lowercasing, with runs of spaces collapsed.
const BIRD_TITS = ["blue", "coal", "marsh", "willow", "crested", "long-tailed", "bearded"];
export const HARMLESS_PHRASES: Readonly<Record<string, readonly string[]>> = {
  anal: ["analects"],
  ass: ["assort"],
  chink: [
    ...["of light", "of sunlight", "in the armo", "in the wall", "in the curtain"].map(
      (where) => `chink ${where}`,
    ),
    "chinks of light",
  ],
  cock: ["cockpit"],
  cum: ["cumin", "cum laude"],
  dick: ["dickinson", "moby dick", "moby-dick", "dick tracy", "philip k. dick", "philip k dick"],
  hooker: ["hooker's green", "hooker\u2019s green", "hookers green", "hooker green", "lee hooker"],
  negro: ["rio negro", "negro river"],
  penis: ["penistone"],
  piss: ["pissarro"],
  prick: [
    ...["a needle", "the needle", "a pin", "a thorn", "the thorn", "light"].map(
      (what) => `prick of ${what}`,
    ),
    ...["pin", "needle", "thorn"].map((what) => `${what} prick`),
  ],
  pussy: ["pussy willow", "pussycat", "pussy cat"],
  rape: ["rapeseed"],
  retard: ["retardant"],
  scat: ["scat sing"],
  shit: ["shiitake"],
  // "great tit" but not "great tits": the plural's match spans the "s", which the phrase misses.
  tit: [
    ...BIRD_TITS.flatMap((kind) => [`${kind} tit`, `${kind} tits`, `${kind}-tit`]),
    "great tit",
    "tit for tat",
    "tit-for-tat",
  ],
  wank: ["wankel"],
};

/** obscenity's English dataset plus HARMLESS_PHRASES, as phrases of their dataset word. */
const dataset = new DataSet<{ originalWord: string }>().addAll(englishDataset);
for (const [word, phrases] of Object.entries(HARMLESS_PHRASES)) {
  // A hyphenated phrase also written as one word: "moby-dick" is "mobydick" when marks are
  // read through (word-variants.ts).
  const spellings = phrases.flatMap((harmless) =>
    harmless.includes("-") ? [harmless, harmless.replaceAll("-", "")] : [harmless],
  );
  dataset.addPhrase((phrase) =>
    spellings.reduce(
      (builder, harmless) => builder.addWhitelistedTerm(harmless),
      phrase.setMetadata({ originalWord: word }),
    ),
  );
}

/** The full matcher (exported for the tests that pin the prescreen to it). */
export const matcher = new RegExpMatcher({ ...dataset.build(), ...englishRecommendedTransformers });

const prescreen = buildPrescreen(matcher, englishRecommendedBlacklistMatcherTransformers);

/** Whether the fast path is in use (a test pins it, so an obscenity upgrade cannot drop it). */
export const LEXICAL_PRESCREEN_ACTIVE = prescreen !== null;

const SEVERITY: readonly LexicalCategory[] = ["sexual", "hate", "profanity"];

/** The most severe obscenity match in `input`, named by obscenity's canonical word. */
export function findLexical(input: string): { category: LexicalCategory; matched: string } | null {
  if (prescreen !== null && !prescreen(input)) return null;
  let best: { category: LexicalCategory; matched: string } | null = null;
  for (const match of matcher.getAllMatches(input)) {
    const word = dataset.getPayloadWithPhraseMetadata(match).phraseMetadata?.originalWord;
    if (word === undefined) continue;
    // A word from a newer dataset is judged sexual until mapped: still a rejection.
    const category = LEXICAL_CATEGORY.get(word) ?? "sexual";
    if (best === null || SEVERITY.indexOf(category) < SEVERITY.indexOf(best.category)) {
      best = { category, matched: word };
    }
  }
  return best;
}

/** Unit-free numbers ("455 horsepower") are not words to the image model; obscenity's leetspeak
 *  would otherwise read them as letters. */
const BARE_NUMBER_RE = /(?<![\p{L}\p{N}])\p{N}+(?![\p{L}\p{N}])/gu;
// A digit or any non-ASCII character: only then can the text hold a bare number.
const MAYBE_NUMBER_RE = /[^\t\n\r -/:-~]/;

function maskedWords(folded: string): string[] {
  return maskAllowedPhrases(folded).split(" ").filter(Boolean);
}

/** (2) obscenity; a sexual match in a prompt that also names a minor is sexual_minors. */
export const lexicalCheck: SafetyCheck = (input): SafetyVerdict | null => {
  const plain = input.plain;
  const found = findLexical(
    MAYBE_NUMBER_RE.test(plain) ? plain.replace(BARE_NUMBER_RE, " ") : plain,
  );
  if (found === null) return null;
  if (found.category === "sexual" && hasMinorMarker(maskedWords(input.folded), plain)) {
    return { category: "sexual_minors", matched: found.matched };
  }
  return found;
};
