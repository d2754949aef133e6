// The generated CLIP vocabulary, checked with a standard tokenizer (Hugging Face tokenizers.js).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ClipTokenizer, loadClipTokenizer } from "../../tokenizer/clip-tokenizer";
import { lexiconWords } from "./lexicon";
import { writeTinyModel } from "./write-tiny-model";

const withSpecials = (tokens: string[]) => ["<|startoftext|>", ...tokens, "<|endoftext|>"];

let dir: string;
let tokenizer: ClipTokenizer;
let vocab: Record<string, number>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tiny-vocab-"));
  await writeTinyModel(dir);
  tokenizer = await loadClipTokenizer(join(dir, "tokenizer"));
  vocab = JSON.parse(await readFile(join(dir, "tokenizer/vocab.json"), "utf8"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("tiny CLIP vocabulary", () => {
  it("starts with the 512 byte symbols and ends with BOS then EOS", () => {
    const ids = Object.values(vocab);
    expect(new Set(ids).size).toBe(ids.length);
    expect(vocab["!"]).toBe(0);
    expect(vocab["!</w>"]).toBe(256);
    expect(vocab["<|startoftext|>"]).toBe(ids.length - 2);
    expect(vocab["<|endoftext|>"]).toBe(ids.length - 1);
  });

  it("has every merge result in the vocabulary", async () => {
    const lines = (await readFile(join(dir, "tokenizer/merges.txt"), "utf8"))
      .trim()
      .split("\n")
      .slice(1);
    for (const line of lines) {
      const [a, b] = line.split(" ");
      expect(vocab[`${a}${b}`], line).toBeDefined();
    }
  });

  it("turns every lexicon word into one token under a standard CLIP BPE tokenizer", () => {
    const words = lexiconWords();
    expect(words.length).toBeGreaterThan(300);
    for (const word of words)
      expect(withSpecials(tokenizer.tokenize(word)), word).toEqual([
        "<|startoftext|>",
        `${word}</w>`,
        "<|endoftext|>",
      ]);
  });

  it("falls back to sub-word pieces for unknown words", () => {
    const cases: [string, string][] = [
      ["xylophone", "xylophone</w>"],
      ["über", "\u00c3\u00bcber</w>"], // UTF-8 bytes through the byte-to-unicode table
    ];
    for (const [word, symbols] of cases) {
      const tokens = withSpecials(tokenizer.tokenize(word));
      expect(tokens.length, word).toBeGreaterThan(3);
      expect(tokens.slice(1, -1).join(""), word).toBe(symbols);
    }
    expect(withSpecials(tokenizer.tokenize("Cat, 42!"))).toEqual([
      "<|startoftext|>",
      "cat</w>",
      ",</w>",
      "4</w>",
      "2</w>",
      "!</w>",
      "<|endoftext|>",
    ]);
  });
});
