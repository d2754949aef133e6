// Tests CLIP tokenization against a small byte-level vocabulary written in Hugging Face's layout.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel } from "../model/tiny";
import { type ClipTokenizer, loadClipTokenizer } from "./clip-tokenizer";
import {
  BOS,
  EOS,
  FIXTURE_WORDS,
  fixtureVocabulary,
  writeClipTokenizerFolder,
} from "./clip-vocab-fixture";

const { vocab } = fixtureVocabulary(FIXTURE_WORDS);
const id = (token: string) => {
  const found = vocab[token];
  if (found === undefined) throw new Error(`fixture has no token ${token}`);
  return found;
};

let root: string;
let sd1: ClipTokenizer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "clip-tokenizer-"));
  await writeClipTokenizerFolder(join(root, "sd1"));
  sd1 = await loadClipTokenizer(join(root, "sd1"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("encode", () => {
  it("wraps known words in BOS/EOS and pads to 77 with the pad token", () => {
    const ids = sd1.encode("a red fox");
    const words = [id("a</w>"), id("red</w>"), id("fox</w>")];
    expect(Array.from(ids)).toEqual([id(BOS), ...words, id(EOS), ...Array(72).fill(id(EOS))]);
    expect(sd1.tokenize("a red fox")).toEqual(["a</w>", "red</w>", "fox</w>"]);
    expect([sd1.bosId, sd1.eosId, sd1.padId, sd1.maxLength]).toEqual([
      id(BOS),
      id(EOS),
      id(EOS),
      77,
    ]);
    expect(sd1.vocabSize).toBe(Object.keys(vocab).length);
  });

  it("lowercases and collapses whitespace", () => {
    expect(sd1.encode("  A\tRED \n\n FoX  ")).toEqual(sd1.encode("a red fox"));
  });

  it("falls back to byte tokens for an unknown word and decodes it back", () => {
    expect(sd1.tokenize("a Zebra")).toEqual(["a</w>", "z", "e", "b", "r", "a</w>"]);
    expect(sd1.decode(sd1.encode("A Zebra PHOTO of a FOX"))).toBe("a zebra photo of a fox");
  });

  it("round-trips accented letters and emoji through byte symbols, in NFC", () => {
    const text = "café 🦊 and ❤️";
    expect(sd1.decode(sd1.encode(text))).toBe(text);
    expect(sd1.encode("cafe\u0301 🦊 and ❤️")).toEqual(sd1.encode(text));
    expect(sd1.tokenize("é")).toEqual(["Ã", "©</w>"]);
  });

  it("gives an empty prompt BOS, EOS and padding only", () => {
    for (const text of ["", "   \n"]) {
      const info = sd1.encodeWithInfo(text);
      expect(Array.from(info.ids)).toEqual([id(BOS), id(EOS), ...Array(75).fill(id(EOS))]);
      expect(info.tokenCount).toBe(0);
      expect(sd1.decode(info.ids)).toBe("");
    }
  });

  it("ignores zero-width and control characters", () => {
    const plain = sd1.encode("a red photo of a fox");
    expect(sd1.encode("\uFEFFa r\u200Bed ph\u00ADoto\u0000 of a\u200D fox\u0007")).toEqual(plain);
    expect(sd1.encode("a\u0085red\vphoto of a fox")).toEqual(plain);
  });

  it("encodes a batch as consecutive rows", () => {
    const batch = sd1.encodeBatch(["a red fox", "", "photo"]);
    expect(batch.length).toBe(3 * 77);
    expect(batch.subarray(77, 154)).toEqual(sd1.encode(""));
    expect(batch.subarray(154)).toEqual(sd1.encode("photo"));
  });
});

describe("truncation", () => {
  const words = (n: number) => Array(n).fill("a").join(" ");

  it("keeps BOS + 75 tokens + EOS and reports nothing cut at the limit", () => {
    const info = sd1.encodeWithInfo(words(75));
    expect(info.truncated).toBe(false);
    expect(info.tokenCount).toBe(75);
    expect(info.ids[76]).toBe(id(EOS));
  });

  it("cuts longer prompts so EOS stays last, and says what was dropped", () => {
    const info = sd1.encodeWithInfo(`${words(75)} red fox`);
    expect(info.ids.length).toBe(77);
    expect(info.ids[0]).toBe(id(BOS));
    expect(Array.from(info.ids.subarray(1, 76))).toEqual(Array(75).fill(id("a</w>")));
    expect(info.ids[76]).toBe(id(EOS));
    expect(info).toMatchObject({ truncated: true, tokenCount: 77, droppedText: "red fox" });
  });
});

describe("tokenizer folder variants", () => {
  it("pads with the pad token from the config (SD2's '!') and honours model_max_length", async () => {
    await writeClipTokenizerFolder(join(root, "sd2"), { padToken: "!", maxLength: 16 });
    const sd2 = await loadClipTokenizer(join(root, "sd2"));
    const ids = sd2.encode("a red fox!");
    expect(sd2.padId).toBe(id("!"));
    expect(Array.from(ids)).toEqual([
      ...[id(BOS), id("a</w>"), id("red</w>"), id("fox</w>"), id("!</w>"), id(EOS)],
      ...Array(10).fill(id("!")),
    ]);
    expect(sd2.decode(ids)).toBe("a red fox!");
  });

  it("names a missing merges.txt or vocab.json", async () => {
    await writeClipTokenizerFolder(join(root, "no-merges"), { omit: ["merges.txt"] });
    await expect(loadClipTokenizer(join(root, "no-merges"))).rejects.toThrow(/merges\.txt.*merge/);
    await writeClipTokenizerFolder(join(root, "no-vocab"), { omit: ["vocab.json"] });
    await expect(loadClipTokenizer(join(root, "no-vocab"))).rejects.toThrow(/vocab\.json/);
  });

  it("rejects a merge whose result is not in vocab.json", async () => {
    await writeClipTokenizerFolder(join(root, "bad-merge"), { merges: ["r e", "q z"] });
    await expect(loadClipTokenizer(join(root, "bad-merge"))).rejects.toThrow(/merges\.txt.*"qz"/);
  });

  it("gives the same ids from a tokenizer.json as from vocab.json + merges.txt", async () => {
    const dir = join(root, "fast");
    const { merges } = await writeClipTokenizerFolder(dir, {
      omit: ["vocab.json", "merges.txt", "special_tokens_map.json"],
    });
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(hubStyleTokenizerJson(merges)));
    const fast = await loadClipTokenizer(dir);
    const prompts = ["a red fox", "A  Photo OF a Red FOX, 4k!!", "café 🦊", "it's a fox's den", ""];
    for (const prompt of prompts) expect(fast.encode(prompt)).toEqual(sd1.encode(prompt));
  });
});

/** A tokenizer.json laid out as the hub's CLIP files are (string merges, RobertaProcessing). */
function hubStyleTokenizerJson(merges: string[]) {
  const added = (content: string, normalized: boolean) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized,
    special: true,
  });
  const split = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [added(BOS, true), added(EOS, false)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: split }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [EOS, id(EOS)],
      cls: [BOS, id(BOS)],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: EOS,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      vocab,
      merges,
    },
  };
}

// The tiny model generator writes a real tokenizer folder; the project's own vocabulary must round-trip.
describe("the generated tiny model's tokenizer folder", () => {
  it("loads and round-trips prompts of known words", async () => {
    const modelDir = await ensureTinyModel();
    const tokenizer = await loadClipTokenizer(join(modelDir, "tokenizer"));
    const ids = tokenizer.encode("A photo of a RED fox");
    expect(ids.length).toBe(77);
    expect(ids[0]).toBe(tokenizer.bosId);
    expect(tokenizer.tokenize("a red fox")).toEqual(["a</w>", "red</w>", "fox</w>"]);
    expect(tokenizer.decode(ids)).toBe("a photo of a red fox");
  });
});
