// Builds the `tokenizer.json` object that CLIPTokenizerFast would save, from vocab.json + merges.txt.
import { z } from "zod";
import { TokenizerFileError } from "./tokenizer-files";

/** CLIP's word split (from OpenAI's simple_tokenizer); the special tokens come first so they stay whole. */
export const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export const END_OF_WORD_SUFFIX = "</w>";

export interface ClipVocabulary {
  vocab: Record<string, number>;
  merges: Array<[string, string]>;
  bos: string;
  eos: string;
  unk: string;
}

/**
 * The minimal shape `@huggingface/tokenizers` needs from a tokenizer.json; the rest of the object
 * is passed through untouched. The library iterates `added_tokens` without a default, so it is
 * filled in when a file omits it.
 */
export const clipTokenizerJsonSchema = z.looseObject({
  added_tokens: z.array(z.looseObject({ id: z.number(), content: z.string() })).default([]),
  model: z.looseObject({
    type: z.literal("BPE"),
    end_of_word_suffix: z.literal(END_OF_WORD_SUFFIX),
  }),
  normalizer: z.unknown().default(null),
  pre_tokenizer: z.unknown().default(null),
  post_processor: z.unknown().default(null),
  decoder: z.unknown().default(null),
});
export type ClipTokenizerJson = z.infer<typeof clipTokenizerJsonSchema>;

/**
 * Parses merges.txt: an optional `#version` header, then one `left right` pair per line, in rank
 * order. Every merge must produce a token in the vocabulary, as the Rust BPE builder insists;
 * a merges.txt longer than its vocab.json (OpenAI's full BPE file) would otherwise yield unknowns.
 */
export function parseMerges(path: string, text: string, vocab: Record<string, number>) {
  const merges: Array<[string, string]> = [];
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line === "" || (index === 0 && line.startsWith("#version"))) continue;
    const space = line.indexOf(" ");
    const left = line.slice(0, space);
    const right = line.slice(space + 1);
    if (space <= 0 || right === "" || right.includes(" ")) {
      throw new TokenizerFileError(
        path,
        `"left right" merge pairs; line ${index + 1} is "${line}"`,
      );
    }
    if (!Object.hasOwn(vocab, left + right)) {
      throw new TokenizerFileError(
        path,
        `merges whose results are in vocab.json; line ${index + 1} makes "${left + right}"`,
      );
    }
    merges.push([left, right]);
  }
  return merges;
}

function addedToken(id: number, content: string, normalized: boolean) {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized,
    special: true,
  };
}

/**
 * What transformers' CLIPConverter produces: NFC + whitespace collapse + lowercase, CLIP's split
 * then byte-level symbols, BPE with a `</w>` word suffix, BOS/EOS added by RobertaProcessing.
 * `<|startoftext|>` is a normalised added token and `<|endoftext|>` is not, as in the hub files.
 */
export function buildClipTokenizerJson(v: ClipVocabulary): ClipTokenizerJson {
  const idOf = (token: string) => v.vocab[token] ?? -1;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [addedToken(idOf(v.bos), v.bos, true), addedToken(idOf(v.eos), v.eos, false)],
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
        {
          type: "Split",
          pattern: { Regex: CLIP_SPLIT_PATTERN },
          behavior: "Removed",
          invert: true,
        },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [v.eos, idOf(v.eos)],
      cls: [v.bos, idOf(v.bos)],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: v.unk,
      continuing_subword_prefix: "",
      end_of_word_suffix: END_OF_WORD_SUFFIX,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: v.vocab,
      merges: v.merges,
    },
  };
}
