// CLIP text tokenization for Stable Diffusion: a prompt becomes one fixed-length row of token ids.
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import {
  buildClipTokenizerJson,
  type ClipTokenizerJson,
  clipTokenizerJsonSchema,
  parseMerges,
} from "./clip-tokenizer-json";
import { stripInvisibleCharacters } from "./prompt-cleaning";
import {
  type ClipSpecialTokens,
  parseJsonFile,
  parseVocab,
  readClipSpecialTokens,
  readOptionalText,
  readRequiredText,
  TokenizerFileError,
} from "./tokenizer-files";

export interface ClipEncoding {
  /** Exactly `maxLength` ids: BOS, the kept tokens, EOS, then padding. */
  ids: Int32Array;
  /** Prompt tokens before truncation, BOS/EOS not counted. */
  tokenCount: number;
  /** True when tokens were cut so that BOS + tokens + EOS fit in `maxLength`. */
  truncated: boolean;
  /** The cut-off tail decoded back to text ("" when nothing was cut), for a warning. */
  droppedText: string;
}

interface ClipTokenIds {
  bosId: number;
  eosId: number;
  padId: number;
}

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly maxLength: number;
  readonly vocabSize: number;

  /** Use `loadClipTokenizer`; this takes an already-built library tokenizer. */
  constructor(
    private readonly inner: Tokenizer,
    ids: ClipTokenIds,
    maxLength: number,
  ) {
    this.bosId = ids.bosId;
    this.eosId = ids.eosId;
    this.padId = ids.padId;
    this.maxLength = maxLength;
    this.vocabSize = inner.get_vocab(true).size;
  }

  encode(text: string): Int32Array {
    return this.encodeWithInfo(text).ids;
  }

  /** Row-major `[texts.length, maxLength]` ids, ready for an int32 `input_ids` tensor. */
  encodeBatch(texts: readonly string[]): Int32Array {
    const out = new Int32Array(texts.length * this.maxLength);
    for (const [row, text] of texts.entries()) out.set(this.encode(text), row * this.maxLength);
    return out;
  }

  encodeWithInfo(text: string): ClipEncoding {
    const tokens = this.promptIds(text);
    const room = this.maxLength - 2;
    const kept = tokens.length > room ? tokens.slice(0, room) : tokens;
    const ids = new Int32Array(this.maxLength).fill(this.padId);
    ids[0] = this.bosId;
    ids.set(kept, 1);
    ids[kept.length + 1] = this.eosId;
    const truncated = kept.length < tokens.length;
    return {
      ids,
      tokenCount: tokens.length,
      truncated,
      droppedText: truncated ? this.decodeTokens(tokens.slice(room)) : "",
    };
  }

  /** The prompt's BPE tokens (e.g. `["a</w>", "red</w>"]`), without BOS/EOS and untruncated. */
  tokenize(text: string): string[] {
    return this.inner.tokenize(stripInvisibleCharacters(text), { add_special_tokens: false });
  }

  /**
   * Text for ids as `encode` returns them: everything from the first EOS on is padding (SD2 pads
   * with "!", a real token, so only its position tells it apart), and BOS is dropped.
   */
  decode(ids: ArrayLike<number>): string {
    const all = Array.from(ids);
    const end = all.indexOf(this.eosId);
    return this.decodeTokens(
      (end === -1 ? all : all.slice(0, end)).filter((id) => id !== this.bosId),
    );
  }

  private promptIds(text: string): number[] {
    return this.inner.encode(stripInvisibleCharacters(text), { add_special_tokens: false }).ids;
  }

  private decodeTokens(ids: number[]): string {
    // The library throws on an empty list; with skip_special_tokens it also turns "</w>" into
    // spaces and trims, which is how CLIPTokenizerFast decodes.
    return ids.length === 0 ? "" : this.inner.decode(ids, { skip_special_tokens: true });
  }
}

/**
 * Loads a Hugging Face CLIP `tokenizer/` folder: its `tokenizer.json` when present, otherwise
 * `vocab.json` + `merges.txt` turned into the tokenizer.json CLIPTokenizerFast would save.
 * `tokenizer_config.json` / `special_tokens_map.json` supply BOS/EOS/pad and `model_max_length`.
 */
export async function loadClipTokenizer(dir: string): Promise<ClipTokenizer> {
  const special = await readClipSpecialTokens(dir);
  const { json, source } = await readTokenizerJson(dir, special);
  const inner = new Tokenizer(json, {
    clean_up_tokenization_spaces: special.cleanUpTokenizationSpaces,
  });
  const idOf = (token: string, role: string) => {
    const id = inner.token_to_id(token);
    if (id === undefined) {
      throw new TokenizerFileError(source, `a vocabulary containing the ${role} token "${token}"`);
    }
    return id;
  };
  const ids = {
    bosId: idOf(special.bos, "BOS"),
    eosId: idOf(special.eos, "EOS"),
    padId: idOf(special.pad, "pad"),
  };
  return new ClipTokenizer(inner, ids, special.maxLength);
}

async function readTokenizerJson(
  dir: string,
  special: ClipSpecialTokens,
): Promise<{ json: ClipTokenizerJson; source: string }> {
  const jsonPath = join(dir, "tokenizer.json");
  const text = await readOptionalText(dir, "tokenizer.json");
  if (text !== undefined) {
    const what = 'a CLIP tokenizer (model.type "BPE", end_of_word_suffix "</w>")';
    return { json: parseJsonFile(jsonPath, text, clipTokenizerJsonSchema, what), source: jsonPath };
  }
  const vocabPath = join(dir, "vocab.json");
  const vocabText = await readRequiredText(
    dir,
    "vocab.json",
    "a CLIP BPE vocabulary (token → id JSON object), or a tokenizer.json beside it",
  );
  const vocab = parseVocab(vocabPath, vocabText);
  const mergesText = await readRequiredText(
    dir,
    "merges.txt",
    "the CLIP BPE merge list that goes with vocab.json, or a tokenizer.json",
  );
  const merges = parseMerges(join(dir, "merges.txt"), mergesText, vocab);
  for (const token of [special.bos, special.eos, special.unk]) {
    if (!Object.hasOwn(vocab, token)) {
      throw new TokenizerFileError(
        vocabPath,
        `a vocabulary containing the special token "${token}"`,
      );
    }
  }
  const json = buildClipTokenizerJson({ vocab, merges, ...special });
  return { json, source: vocabPath };
}
