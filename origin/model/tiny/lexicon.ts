// The tiny model's lexicon: every word that gets a single BPE token, and what each one means.
import { colourWords, hintedNouns, type Rgb } from "./lexicon-colours";
import { type LayoutCoefficients, layoutWords } from "./lexicon-layout";

/** Words that carry little meaning; the UNet's attention pools look past them. */
const STOPWORDS = `a an the of with and on in at to by for from over is it its near into behind
between some very two three one this that as or while their his her`;

/** "word brightness saturation" triples for style words (the content head reads them). */
const STYLE_WORDS = `bright 1 0, dark -1 0, light .8 -.2, pastel .7 -.8, vivid 0 1, vibrant 0 1,
neon .2 1.2, colorful .1 1, colourful .1 1, glowing .6 .6, shiny .4 .3, monochrome 0 -1.5,
grayscale 0 -1.5, muted -.2 -.8, faded .3 -.8, vintage 0 -.7, retro 0 .3, dramatic -.5 .5,
moody -.7 .2, dreamy .5 -.4, soft .3 -.3, gloomy -.9 -.5, sunny .8 .3, cinematic -.3 .3`;

/** Plain content words: their meaning is a deterministic pseudo-random draw. */
const CONTENT_WORDS = `cat dog bird fish horse cow bear wolf rabbit owl eagle duck snake monkey deer
mouse sheep pig chicken giraffe koala octopus crab turtle dragon unicorn car house castle boat
ship train plane chair table cup book lamp clock hat shoe bottle vase bowl guitar piano bicycle
room kitchen park king queen knight wizard astronaut photo photograph painting watercolor oil
sketch drawing illustration cartoon anime abstract minimal minimalist realistic digital art
poster pixel render style simple big small large tiny huge beautiful cute detailed highly
quality pattern background foreground ground floor wall texture shape shapes logo icon
scene view close up day morning evening light shadow reflection`;

export interface WordMeaning {
  /** Display colour the word pulls towards, and how strongly the colour heads attend to it. */
  colour?: { rgb: Rgb; strength: "named" | "hinted" };
  layout?: { coefficients: LayoutCoefficients; strength: "named" | "hinted" };
  style?: { brightness: number; saturation: number };
  stopword?: boolean;
}

function words(list: string): string[] {
  return list.split(/[\s,]+/).filter((w) => w.length > 0);
}

function buildLexicon(): Map<string, WordMeaning> {
  const lexicon = new Map<string, WordMeaning>();
  const entry = (w: string): WordMeaning => {
    const known = lexicon.get(w) ?? {};
    lexicon.set(w, known);
    return known;
  };
  for (const w of words(STOPWORDS)) entry(w).stopword = true;
  for (const w of words(CONTENT_WORDS)) entry(w);
  for (const [w, rgb] of hintedNouns) entry(w).colour = { rgb, strength: "hinted" };
  for (const [w, rgb] of colourWords) entry(w).colour = { rgb, strength: "named" };
  for (const [w, coefficients] of layoutWords) {
    // Nouns that also have a colour (sun, sea, forest) shape the layout less firmly.
    const strength = hintedNouns.has(w) ? "hinted" : "named";
    entry(w).layout = { coefficients, strength };
  }
  for (const triple of STYLE_WORDS.split(",")) {
    const [w, b, s] = triple.trim().split(/\s+/);
    if (w) entry(w).style = { brightness: Number(b), saturation: Number(s) };
  }
  return lexicon;
}

export const lexicon: ReadonlyMap<string, WordMeaning> = buildLexicon();

/** Every lexicon word, sorted, as the BPE trainer sees them. */
export function lexiconWords(): string[] {
  return [...lexicon.keys()].sort();
}
