import { englishDataset, englishRecommendedBlacklistMatcherTransformers } from "obscenity";
import { describe, expect, it } from "vitest";
import {
  findLexical,
  HARMLESS_PHRASES,
  LEXICAL_CATEGORY,
  LEXICAL_PRESCREEN_ACTIVE,
  matcher,
} from "./lexical-check";
import { asciiTransform } from "./lexical-prescreen";
import { runSafety } from "./prefilter";

// Deterministic pseudo-random strings over letters, leet digits, symbols and spaces.
function randomStrings(count: number, seed: number): string[] {
  const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0134567@$!|()/ -.'";
  let state = seed;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: 4 + (next() % 40) }, () => alphabet[next() % alphabet.length]).join(""),
  );
}

const CORPUS = [
  ...randomStrings(3000, 7),
  "a red fox in the snow",
  "shooting stars over Scunthorpe",
  "classic cockpit",
  "fuuuuck",
  "sh1t",
  "a$$",
  "p0rn",
  "pörn",
  "kung-fu panda",
  "who're you",
  "bitchy",
  "Penistone station",
];

describe("the obscenity configuration", () => {
  it("maps every word of the English dataset to a category", () => {
    const words = englishDataset.build().blacklistedTerms.map(
      ({ id }) =>
        englishDataset.getPayloadWithPhraseMetadata({
          termId: id,
          startIndex: 0,
          endIndex: 0,
          matchLength: 0,
        }).phraseMetadata?.originalWord,
    );
    expect(words.length).toBeGreaterThan(60);
    expect(words.filter((word) => !LEXICAL_CATEGORY.has(word ?? ""))).toEqual([]);
  });

  it("uses the fast prescreen", () => {
    expect(LEXICAL_PRESCREEN_ACTIVE).toBe(true);
  });

  it("prescreens with exactly obscenity's own transform", () => {
    const ours = asciiTransform(englishRecommendedBlacklistMatcherTransformers);
    const internals = matcher as unknown as {
      applyTransformers(input: string, set: unknown): [number[], string];
      blacklistMatcherTransformers: unknown;
    };
    for (const input of CORPUS.filter((s) => /^[\x20-\x7e]*$/.test(s))) {
      const theirs = internals.applyTransformers(input, internals.blacklistMatcherTransformers);
      expect(ours(input), input).toBe(theirs[1]);
    }
  });

  it("agrees with obscenity's full matcher on whether anything matches", () => {
    let matches = 0;
    for (const input of CORPUS) {
      const full = matcher.hasMatch(input);
      if (full) matches++;
      expect(findLexical(input) !== null, input).toBe(full);
    }
    expect(matches).toBeGreaterThan(10);
  });
});

describe("lexical check decisions", () => {
  it("allows the Scunthorpe cases added to obscenity's whitelist", () => {
    for (const prompt of ["classic cockpit", "rapeseed oil", "Emily Dickinson", "Penistone"]) {
      expect(runSafety(prompt).decision, prompt).toBe("allow");
    }
    expect(runSafety("a cock").category).toBe("sexual");
  });

  it("ignores bare numbers but still reads leetspeak inside words", () => {
    expect(runSafety("a 455 horsepower engine").decision).toBe("allow");
    expect(runSafety("a 4ss").category).toBe("profanity");
  });

  it("reports the most severe category among several matches", () => {
    expect(findLexical("shit porn")?.category).toBe("sexual");
  });
});

describe("harmless words and phrases that contain a listed word", () => {
  it("whitelists phrases only under words of the dataset", () => {
    expect(Object.keys(HARMLESS_PHRASES).filter((word) => !LEXICAL_CATEGORY.has(word))).toEqual([]);
  });

  it.each([
    "cumin spices",
    "assorted pastries",
    "in the style of Camille Pissarro",
    "a blue tit on a branch",
    "two blue tits on a feeder",
    "a great tit in the snow",
    "Hooker's green watercolor",
    "Hooker\u2019s green",
    "John Lee Hooker playing the guitar",
    "a Wankel engine",
    "a pussycat",
    "Dick Tracy comic cover",
    "the prick of a needle",
    "a flame retardant suit",
    "the Rio Negro river",
    "a chink of light through the curtains",
    "a magna cum laude diploma",
    "scat singing in a jazz club",
    "a bottomless pit",
  ])("allows %s", (prompt) => {
    expect(runSafety(prompt).decision).toBe("allow");
  });

  it.each([
    ["a tit", "sexual"],
    ["great tits", "sexual"],
    ["a hooker on a street corner", "sexual"],
    ["you prick", "profanity"],
    ["a pussy", "sexual"],
    ["a dick", "sexual"],
    ["a retard", "hate"],
    ["a chink", "hate"],
    ["piss", "profanity"],
    ["cum", "sexual"],
  ])("still rejects %s", (prompt, category) => {
    expect(runSafety(prompt).category).toBe(category);
  });
});
