// A CLIP-style byte-level BPE vocabulary: 512 byte symbols, merges learned over the lexicon, then BOS/EOS.

export const BOS_TOKEN = "<|startoftext|>";
export const EOS_TOKEN = "<|endoftext|>";
export const WORD_END = "</w>";

/** GPT-2's reversible byte → printable-character table, in the order CLIP lists its first 256 ids. */
export function bytesToUnicode(): Map<number, string> {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Map<number, string>();
  for (const b of printable) table.set(b, String.fromCharCode(b));
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!table.has(b)) table.set(b, String.fromCharCode(256 + extra++));
  }
  return table;
}

/** A word as CLIP's BPE starts it: byte symbols, the last one carrying the word-end suffix. */
export function wordSymbols(word: string, byteTable = bytesToUnicode()): string[] {
  const symbols = [...new TextEncoder().encode(word)].map((b) => byteTable.get(b)!);
  if (symbols.length > 0) symbols[symbols.length - 1] += WORD_END;
  return symbols;
}

function mergePair(symbols: string[], first: string, second: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i < symbols.length - 1 && symbols[i] === first && symbols[i + 1] === second) {
      out.push(first + second);
      i++;
    } else {
      out.push(symbols[i]!);
    }
  }
  return out;
}

/**
 * Learns merges the way BPE training does (most frequent adjacent pair first, ties by string
 * order) until every word is one symbol. Because training merges left to right, exactly as CLIP's
 * encoder does, encoding any lexicon word with these ranks ends in the single token `word</w>`.
 */
export function learnMerges(words: readonly string[]): [string, string][] {
  const byteTable = bytesToUnicode();
  let segmented = [...new Set(words)]
    .map((w) => wordSymbols(w, byteTable))
    .filter((s) => s.length > 1);
  const merges: [string, string][] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const symbols of segmented) {
      for (let i = 0; i < symbols.length - 1; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, count] of counts) {
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === undefined) return merges;
    const [first, second] = best.split(" ") as [string, string];
    merges.push([first, second]);
    segmented = segmented.map((s) => mergePair(s, first, second)).filter((s) => s.length > 1);
  }
}

export interface Vocabulary {
  /** Token strings in id order. */
  tokens: string[];
  merges: [string, string][];
  bosId: number;
  eosId: number;
}

/** CLIP's id order: bytes, bytes + `</w>`, one id per merge result, then BOS and EOS. */
export function buildVocabulary(words: readonly string[]): Vocabulary {
  const bytes = [...bytesToUnicode().values()];
  const merges = learnMerges(words);
  const tokens = [...bytes, ...bytes.map((b) => b + WORD_END), ...merges.map(([a, b]) => a + b)];
  if (new Set(tokens).size !== tokens.length) throw new Error("duplicate BPE token");
  tokens.push(BOS_TOKEN, EOS_TOKEN);
  return { tokens, merges, bosId: tokens.length - 2, eosId: tokens.length - 1 };
}

/** vocab.json with keys in id order (written by hand: JS objects reorder integer-like keys). */
export function vocabJson(vocab: Vocabulary): string {
  const entries = vocab.tokens.map((t, id) => `${JSON.stringify(t)}: ${id}`);
  return `{${entries.join(", ")}}\n`;
}

export function mergesTxt(vocab: Vocabulary): string {
  return `#version: 0.2\n${vocab.merges.map(([a, b]) => `${a} ${b}`).join("\n")}\n`;
}
