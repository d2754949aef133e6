// Look-alike letters (Cyrillic, Greek, small capitals, Lisu, enclosed) mapped to the Latin ones.
// NFKC already handles full-width, mathematical and circled letters; these are the ones it keeps.

// Pairs "<look-alike><latin>", kept to letters that are near-identical in common fonts.
const PAIRS = [
  // Cyrillic, lower then upper
  "аa вb еe ёe кk мm нh оo пn рp сc тt уy хx ѕs іi їi јj ԁd ԛq ԝw ӏl һh ьb",
  "АA ВB ЕE ЁE КK МM НH ОO РP СC ТT УY ХX ЅS ІI ЇI ЈJ ԀD ԚQ ԜW ӀI ҺH",
  // Greek, lower then upper
  // ς is also what NFKC makes of the lunate sigma ϲ, which imitates c.
  "αa βb εe ηn ιi κk νv οo ρp τt υu χx ωw μu ςc",
  "ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX",
  // Latin small capitals, other Latin extensions (dotless j, turned e), Armenian
  "ᴀa ʙb ᴄc ᴅd ᴇe ɢg ʜh ɪi ᴊj ᴋk ʟl ᴍm ɴn ᴏo ᴘp ʀr ꜱs ᴛt ᴜu ᴠv ᴡw ʏy ᴢz",
  "ıi ɑa ɡg ɩi օo սu ȷj ǝe",
  // Lisu capitals (no case of their own)
  "ꓮA ꓐB ꓚC ꓓD ꓰE ꓝF ꓖG ꓧH ꓲI ꓙJ ꓗK ꓡL ꓟM ꓠN ꓳO ꓑP ꓣR ꓢS ꓔT ꓴU ꓦV ꓪW ꓫX ꓬY ꓜZ",
].join(" ");

const LOOK_ALIKES: ReadonlyMap<string, string> = new Map(
  PAIRS.split(" ").map((pair) => [pair.slice(0, 1), pair.slice(1)] as const),
);

const LOOK_ALIKE_RE = new RegExp(`[${[...LOOK_ALIKES.keys()].join("")}]`, "g");

// Enclosed letters NFKC leaves alone: negative circled (U+1F150), negative squared (U+1F170)
// and regional indicators (U+1F1E6), each an A–Z run.
const ENCLOSED_RE = /[\u{1F150}-\u{1F169}\u{1F170}-\u{1F189}\u{1F1E6}-\u{1F1FF}]/gu;
const ENCLOSED_BASES = [0x1f150, 0x1f170, 0x1f1e6] as const;

function enclosedToLatin(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  for (const base of ENCLOSED_BASES) {
    if (code >= base && code < base + 26) return String.fromCharCode(0x61 + code - base);
  }
  return char;
}

/** Replaces look-alike letters with Latin ones. Only ever applied to non-ASCII text. */
export function foldLookAlikes(text: string): string {
  return text
    .replace(LOOK_ALIKE_RE, (char) => LOOK_ALIKES.get(char) ?? char)
    .replace(ENCLOSED_RE, enclosedToLatin);
}
