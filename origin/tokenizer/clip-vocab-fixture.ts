// Test fixture: writes a small byte-level CLIP tokenizer folder in Hugging Face's file layout.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const BOS = "<|startoftext|>";
export const EOS = "<|endoftext|>";

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
export function byteSymbols(): string[] {
  const symbols: string[] = [];
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable =
      (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    symbols[byte] = String.fromCodePoint(printable ? byte : 256 + shifted++);
  }
  return symbols;
}

export interface FixtureVocabulary {
  vocab: Record<string, number>;
  /** merges.txt lines ("left right"), in rank order. */
  merges: string[];
}

/**
 * CLIP's layout: every byte symbol, every byte symbol + "</w>", one merge chain per word
 * (left to right, the last symbol carrying "</w>"), then BOS and EOS.
 */
export function fixtureVocabulary(words: readonly string[]): FixtureVocabulary {
  const vocab: Record<string, number> = {};
  const add = (token: string) => {
    if (!Object.hasOwn(vocab, token)) vocab[token] = Object.keys(vocab).length;
  };
  const bytes = byteSymbols();
  for (const symbol of bytes) add(symbol);
  for (const symbol of bytes) add(`${symbol}</w>`);
  const merges: string[] = [];
  for (const word of words) {
    const chars = [...word];
    let left = chars[0] ?? "";
    for (const [i, char] of chars.slice(1).entries()) {
      const right = i === chars.length - 2 ? `${char}</w>` : char;
      const line = `${left} ${right}`;
      if (!merges.includes(line)) merges.push(line);
      left += right;
      add(left);
    }
  }
  add(BOS);
  add(EOS);
  return { vocab, merges };
}

export const FIXTURE_WORDS = ["a", "red", "fox", "photo", "of"];

export interface FixtureOptions {
  padToken?: string;
  maxLength?: number;
  /** Files to leave out, e.g. "merges.txt". */
  omit?: readonly string[];
  merges?: readonly string[];
}

const specialToken = (content: string) => ({
  content,
  lstrip: false,
  normalized: content === BOS,
  rstrip: false,
  single_word: false,
});

/** Writes vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json to `dir`. */
export async function writeClipTokenizerFolder(dir: string, options: FixtureOptions = {}) {
  const { vocab, merges } = fixtureVocabulary(FIXTURE_WORDS);
  const pad = options.padToken ?? EOS;
  const files: Record<string, string> = {
    "vocab.json": JSON.stringify(vocab),
    "merges.txt": `#version: 0.2\n${(options.merges ?? merges).join("\n")}\n`,
    "tokenizer_config.json": JSON.stringify({
      add_prefix_space: false,
      bos_token: { __type: "AddedToken", ...specialToken(BOS) },
      do_lower_case: true,
      eos_token: { __type: "AddedToken", ...specialToken(EOS) },
      model_max_length: options.maxLength ?? 77,
      pad_token: pad,
      tokenizer_class: "CLIPTokenizer",
      unk_token: { __type: "AddedToken", ...specialToken(EOS) },
    }),
    "special_tokens_map.json": JSON.stringify({
      bos_token: specialToken(BOS),
      eos_token: specialToken(EOS),
      pad_token: pad,
      unk_token: specialToken(EOS),
    }),
  };
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    if (!options.omit?.includes(name)) await writeFile(join(dir, name), content);
  }
  return { vocab, merges };
}
