// Reads and validates the files of a Hugging Face CLIP `tokenizer/` folder.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/** A tokenizer file that is missing or not what a CLIP tokenizer folder should contain. */
export class TokenizerFileError extends Error {
  override readonly name = "TokenizerFileError";
  constructor(
    readonly file: string,
    expected: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: expected ${expected}`, options);
  }
}

/** The special tokens and sequence length that `tokenizer_config.json` and friends describe. */
export interface ClipSpecialTokens {
  bos: string;
  eos: string;
  unk: string;
  pad: string;
  maxLength: number;
  /** Passed through to the library's decode; undefined keeps its default (true). */
  cleanUpTokenizationSpaces: boolean | undefined;
}

/** transformers writes int(1e30) as `model_max_length` when a tokenizer has no limit of its own. */
const UNSET_MAX_LENGTH = 1 << 16;
const CLIP_CONTEXT_LENGTH = 77;

// Special tokens are saved either as plain strings or as serialised AddedToken objects.
const tokenValue = z
  .union([z.string(), z.object({ content: z.string() })])
  .nullish()
  .transform((v) => (v == null ? undefined : typeof v === "string" ? v : v.content));

const specialTokensMapSchema = z.object({
  bos_token: tokenValue,
  eos_token: tokenValue,
  unk_token: tokenValue,
  pad_token: tokenValue,
});

const tokenizerConfigSchema = specialTokensMapSchema.extend({
  model_max_length: z.number().min(2).nullish(),
  clean_up_tokenization_spaces: z.boolean().nullish(),
});

/**
 * vocab.json as token → id. Checked by hand rather than with z.record: zod takes ~0.5 s over
 * CLIP's 49,408 entries, which every process start would pay.
 */
export function parseVocab(path: string, text: string): Record<string, number> {
  const raw = parseJsonFile(path, text, z.unknown(), "a token → id JSON object");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new TokenizerFileError(path, "a token → id JSON object");
  }
  for (const [token, id] of Object.entries(raw)) {
    if (!Number.isSafeInteger(id) || (id as number) < 0) {
      throw new TokenizerFileError(path, `non-negative integer ids; "${token}" has ${String(id)}`);
    }
  }
  return raw as Record<string, number>;
}

/** Reads a required file, naming it and what was expected when it is absent. */
export async function readRequiredText(dir: string, file: string, expected: string) {
  const text = await readOptionalText(dir, file);
  if (text === undefined) throw new TokenizerFileError(join(dir, file), `${expected}; not found`);
  return text;
}

export async function readOptionalText(dir: string, file: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, file), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Parses JSON text and validates it, reporting the file and the schema's complaint on failure. */
export function parseJsonFile<T>(
  path: string,
  text: string,
  schema: z.ZodType<T>,
  what: string,
): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new TokenizerFileError(path, `${what} (valid JSON)`, { cause });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new TokenizerFileError(path, `${what}; ${issue?.message ?? "invalid"}${where}`);
  }
  return parsed.data;
}

/**
 * Resolves special tokens as transformers does for CLIP: `special_tokens_map.json` overrides
 * `tokenizer_config.json`; both are optional and fall back to CLIP's defaults (pad = EOS, as SD1).
 */
export async function readClipSpecialTokens(dir: string): Promise<ClipSpecialTokens> {
  const configText = await readOptionalText(dir, "tokenizer_config.json");
  const mapText = await readOptionalText(dir, "special_tokens_map.json");
  const config = configText
    ? parseJsonFile(
        join(dir, "tokenizer_config.json"),
        configText,
        tokenizerConfigSchema,
        "a tokenizer config object",
      )
    : undefined;
  const map = mapText
    ? parseJsonFile(
        join(dir, "special_tokens_map.json"),
        mapText,
        specialTokensMapSchema,
        "a special tokens map object",
      )
    : undefined;
  const eos = map?.eos_token ?? config?.eos_token ?? "<|endoftext|>";
  const declared = config?.model_max_length;
  if (declared != null && declared <= UNSET_MAX_LENGTH && !Number.isInteger(declared)) {
    throw new TokenizerFileError(join(dir, "tokenizer_config.json"), "an integer model_max_length");
  }
  return {
    bos: map?.bos_token ?? config?.bos_token ?? "<|startoftext|>",
    eos,
    unk: map?.unk_token ?? config?.unk_token ?? eos,
    pad: map?.pad_token ?? config?.pad_token ?? eos,
    maxLength: declared == null || declared > UNSET_MAX_LENGTH ? CLIP_CONTEXT_LENGTH : declared,
    cleanUpTokenizationSpaces: config?.clean_up_tokenization_spaces ?? undefined,
  };
}
