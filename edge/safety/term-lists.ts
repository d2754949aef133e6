// The versioned base policy: category term lists and the allow-listed phrases that mask them.
import { compilePhraseMask, type PolicyTerm } from "./term-matcher";
import type { SafetyCategory } from "./types";

/**
 * Version of the base policy. Bump it on any change to these lists, to the patterns in
 * pattern-check.ts, minor-proximity.ts, word-variants.ts or hate-numbers.ts, to the characters
 * normalize-prompt.ts deletes or folds, or to the obscenity configuration in lexical-check.ts:
 * audit records name the version that judged each prompt.
 */
export const BASE_POLICY_VERSION = "2026-11-27.1";

// Terms are matched on word boundaries in the folded view, plural "s"/"es" included.
// They are written plainly; they are folded like prompts when compiled.
const BASE_TERMS: Readonly<Partial<Record<SafetyCategory, readonly string[]>>> = {
  // Always rejected, whatever the tenant. Combinations (a sexual term near a minor term) are
  // caught by the minor-proximity pattern; these are the terms that need no combination.
  sexual_minors: [
    "child porn",
    "child pornography",
    "kiddie porn",
    "kiddy porn",
    "csam",
    "pthc",
    "jailbait",
    "loli",
    "lolicon",
    "shota",
    "shotacon",
    "pedo",
    "paedo",
    "pedophile",
    "paedophile",
    "pedophilia",
    "paedophilia",
  ],
  // Nudity and explicit content beyond what the obscenity dataset covers.
  sexual: [
    "nude",
    "nudity",
    "nudist",
    "nudism",
    "naked",
    "nakedness",
    "topless",
    "bottomless",
    "nsfw",
    "xxx",
    "erotic",
    "erotica",
    "porno",
    "pron",
    "pornographic",
    "sexually explicit",
    "explicit sex",
    "genitals",
    "genitalia",
    "lewd",
    "ahegao",
  ],
  hate: [
    "heil hitler",
    "sieg heil",
    "white power",
    "white supremacy",
    "white supremacist",
    "kkk",
    "ku klux klan",
    // "1488" is also a year: hate-numbers.ts reads it in context.
    "gas the jews",
    "race war",
    "master race",
    "ethnic cleansing",
  ],
  // Graphic injury and death. Fantasy and action violence (swords, battles, soldiers, zombies,
  // vampires, blood, "assassin") is allowed.
  violence_graphic: [
    "gore",
    "gory",
    "gorefest",
    "disembowel",
    "disemboweled",
    "disembowelled",
    "disembowelment",
    "decapitated",
    "decapitation",
    "beheaded",
    "beheading",
    "dismembered",
    "dismemberment",
    "mutilated",
    "mutilation",
    "eviscerated",
    "entrails",
    "severed head",
    "severed limb",
    "flayed alive",
    "snuff film",
    "torture porn",
    "mass shooting",
    "school shooting",
  ],
  self_harm: [
    "suicide",
    "suicidal",
    "self harm",
    "selfharm",
    "self injury",
    "self mutilation",
    "slit wrist",
    "slit wrists",
    "wrist cutting",
    "pro ana",
    "proana",
    "thinspiration",
    "thinspo",
  ],
  // Devices and agents whose images are instructions or recipes by nature; "how to build a bomb"
  // style requests are caught by the instruction pattern.
  weapons_instructions: [
    "pipe bomb",
    "nail bomb",
    "pressure cooker bomb",
    "bomb making",
    "bombmaking",
    "homemade explosive",
    "homemade bomb",
    "improvised explosive device",
    "auto sear",
    "ghost gun",
    "3d printed gun",
    "sarin",
    "ricin",
    "tatp",
    "vx nerve agent",
  ],
};

/**
 * Ordinary phrases that contain a listed word; they are removed before term and pattern
 * matching. Each is specific enough that it cannot carry the listed meaning itself.
 */
export const ALLOWED_PHRASES: readonly string[] = [
  "al gore",
  "gore tex",
  "goretex",
  "gore vidal",
  "naked eye",
  "naked flame",
  "naked tree",
  "naked branch",
  "naked mole rat",
  "bottomless pit",
  "bottomless brunch",
  "bottomless cup",
  "suicide squad",
  "suicide door",
  "suicide king",
  "suicide prevention",
  "suicide awareness",
  "bath bomb",
  "bomb shelter",
  "photo bomb",
  "minor key",
  "baby blue",
  "baby pink",
  "baby bump",
  "kid glove",
  "kid leather",
];

/** The base lists as compiler input; a multi-word term also matches written as one word
 *  ("whitepower", "pipebomb"), as in hashtags and re-joined spaced letters. */
export function basePolicyTerms(): PolicyTerm[] {
  const terms: PolicyTerm[] = [];
  for (const [category, list] of Object.entries(BASE_TERMS) as [SafetyCategory, string[]][]) {
    for (const term of list) {
      terms.push({ category, term });
      if (term.includes(" ")) terms.push({ category, term: term.replaceAll(" ", "") });
    }
  }
  return terms;
}

/** Removes ALLOWED_PHRASES from a folded view. */
export const maskAllowedPhrases = compilePhraseMask(ALLOWED_PHRASES);
