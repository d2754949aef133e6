// Writes the tiny model directory (atomically, once) and hashes its contents.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import {
  modelIndex,
  schedulerConfig,
  specialTokensMap,
  stableJson,
  textEncoderConfig,
  tokenizerConfig,
  unetConfig,
  vaeDecoderConfig,
} from "./configs";
import { lexiconWords } from "./lexicon";
import { buildTextEncoder } from "./text-encoder-graph";
import { buildUnet } from "./unet-graph";
import { buildVaeDecoder } from "./vae-decoder-graph";
import { DEFAULT_VARIANT, type TinyVariant } from "./variant";
import { buildVocabulary, mergesTxt, vocabJson } from "./vocabulary";

export const DEFAULT_TINY_MODEL_DIR = "models/tiny-sd";

type ModelFiles = ReadonlyMap<string, Uint8Array | string>;

/** Every file of the layout, relative path → bytes or text, built from scratch. */
export function buildTinyModelFiles(variant: TinyVariant = DEFAULT_VARIANT): ModelFiles {
  const vocab = buildVocabulary(lexiconWords());
  return new Map<string, Uint8Array | string>([
    ["model_index.json", stableJson(modelIndex(variant))],
    ["scheduler/scheduler_config.json", stableJson(schedulerConfig())],
    ["tokenizer/vocab.json", vocabJson(vocab)],
    ["tokenizer/merges.txt", mergesTxt(vocab)],
    ["tokenizer/tokenizer_config.json", stableJson(tokenizerConfig(vocab))],
    ["tokenizer/special_tokens_map.json", stableJson(specialTokensMap())],
    ["text_encoder/config.json", stableJson(textEncoderConfig(vocab))],
    ["text_encoder/model.onnx", buildTextEncoder(vocab, variant)],
    ["unet/config.json", stableJson(unetConfig(variant))],
    ["unet/model.onnx", buildUnet(variant)],
    ["vae_decoder/config.json", stableJson(vaeDecoderConfig())],
    ["vae_decoder/model.onnx", buildVaeDecoder()],
  ]);
}

const builtFiles = new Map<string, ModelFiles>();

/** Building takes ~1 s of CPU; a process that writes the model several times builds it once. */
function cachedFiles(variant: TinyVariant): ModelFiles {
  const key = `${variant.inputIds}/${variant.timestep}/${variant.timestepCond === true}`;
  let files = builtFiles.get(key);
  if (!files) {
    files = buildTinyModelFiles(variant);
    builtFiles.set(key, files);
  }
  return files;
}

/** Writes the model into `dir` (created if needed; existing files are overwritten). */
export async function writeTinyModel(
  dir: string,
  variant: TinyVariant = DEFAULT_VARIANT,
): Promise<void> {
  for (const [path, content] of cachedFiles(variant)) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/**
 * Generates the model unless `dir/model_index.json` exists, and returns the absolute directory.
 * Safe when several processes race: each writes a private sibling and renames it into place; a
 * loser finds the winner's complete directory and discards its own. An existing model is never
 * checked against `variant`.
 */
export async function ensureTinyModel(
  dir = DEFAULT_TINY_MODEL_DIR,
  variant: TinyVariant = DEFAULT_VARIANT,
): Promise<string> {
  const target = resolve(dir);
  if (existsSync(join(target, "model_index.json"))) return target;
  await mkdir(dirname(target), { recursive: true });
  const staging = join(
    dirname(target),
    `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  try {
    await writeTinyModel(staging, variant);
    await rename(staging, target);
  } catch (error) {
    if (!existsSync(join(target, "model_index.json"))) throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? listFiles(root, join(dir, e.name)) : [relative(root, join(dir, e.name))],
    ),
  );
  return nested.flat().sort();
}

/** Per-file SHA-256 (relative path → hex), in path order. */
export async function tinyModelFileHashes(dir: string): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for (const path of await listFiles(dir))
    hashes.set(path, sha256Hex(await readFile(join(dir, path))));
  return hashes;
}

/** SHA-256 over "path\0fileSha256\n" lines in path order: the model's content id. */
export async function tinyModelContentHash(dir: string): Promise<string> {
  const lines = [...(await tinyModelFileHashes(dir))].map(([path, hash]) => `${path}\0${hash}\n`);
  return sha256Hex(lines.join(""));
}
