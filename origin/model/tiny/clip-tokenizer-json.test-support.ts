// Test support: the tokenizer.json a Hugging Face CLIPTokenizerFast would build from vocab.json + merges.txt.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";

const CLIP_SPLIT =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** A standard CLIP tokenizer (Hugging Face tokenizers' own BPE) over a generated tokenizer/ folder. */
export function loadClipTokenizer(modelDir: string): Tokenizer {
  const dir = join(modelDir, "tokenizer");
  const vocab = JSON.parse(readFileSync(join(dir, "vocab.json"), "utf8")) as Record<string, number>;
  const merges = readFileSync(join(dir, "merges.txt"), "utf8").trim().split("\n").slice(1);
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const json = {
    version: "1.0",
    added_tokens: [special("<|startoftext|>"), special("<|endoftext|>")],
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
        { type: "Split", pattern: { Regex: CLIP_SPLIT }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: ["<|endoftext|>", vocab["<|endoftext|>"]],
      cls: ["<|startoftext|>", vocab["<|startoftext|>"]],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "BPEDecoder", suffix: "</w>" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<|endoftext|>",
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  return new Tokenizer(json, { model_max_length: 77, do_lower_case: true });
}

/** Pads/truncates to 77 ids: BOS, tokens, EOS, then EOS padding (the tokenizer's pad token). */
export function encodePrompt(tokenizer: Tokenizer, prompt: string, eosId: number): number[] {
  const ids = tokenizer.encode(prompt).ids.slice(0, 77);
  if (ids.length === 77) ids[76] = eosId;
  while (ids.length < 77) ids.push(eosId);
  return ids;
}
