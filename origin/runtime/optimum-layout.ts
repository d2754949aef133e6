// Reads a Hugging Face Optimum Stable Diffusion ONNX folder: required files, configs, content hash.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";

export const REQUIRED_FILES = [
  "model_index.json",
  "scheduler/scheduler_config.json",
  "text_encoder/model.onnx",
  "unet/model.onnx",
  "vae_decoder/model.onnx",
] as const;

export class ModelLayoutError extends Error {
  override name = "ModelLayoutError";
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Fails with one message listing every missing file, so a bad export is fixed in one pass. */
export async function checkLayout(dir: string): Promise<void> {
  const missing: string[] = [];
  for (const file of REQUIRED_FILES) {
    if (!(await exists(join(dir, file)))) missing.push(file);
  }
  const hasTokenizerJson = await exists(join(dir, "tokenizer/tokenizer.json"));
  for (const file of ["tokenizer/vocab.json", "tokenizer/merges.txt"]) {
    if (!hasTokenizerJson && !(await exists(join(dir, file)))) missing.push(file);
  }
  if (missing.length > 0) {
    throw new ModelLayoutError(
      `Model folder ${dir} is not an Optimum Stable Diffusion export: missing ${missing.join(", ")}. ` +
        "Export one with `optimum-cli export onnx --model <id> <dir>` or run `npm run model:tiny`.",
    );
  }
}

export async function readJson<T = Record<string, unknown>>(
  path: string,
  fallback?: T,
): Promise<T> {
  if (fallback !== undefined && !(await exists(path))) return fallback;
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (error) {
    throw new ModelLayoutError(`Cannot read ${path}: ${(error as Error).message}`);
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => /\.(onnx|onnx_data|json|txt|pb)$/.test(p) || basename(p) === "model.onnx_data")
    .sort();
}

function hashFile(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", resolve)
      .on("error", reject);
  });
}

/**
 * SHA-256 over every graph, weight and config file (path and bytes). Real exports are gigabytes,
 * so the result is memoised in `.darkroom-hash.json` keyed by each file's size and mtime.
 */
export async function contentHash(dir: string): Promise<string> {
  const files = await listFiles(dir);
  const stamps = await Promise.all(
    files.map(async (f) => {
      const s = await stat(f);
      return `${relative(dir, f)}:${s.size}:${Math.floor(s.mtimeMs)}`;
    }),
  );
  const memoPath = join(dir, ".darkroom-hash.json");
  const memo = await readJson<{ stamps?: string[]; sha256?: string }>(memoPath, {});
  if (memo.sha256 && JSON.stringify(memo.stamps) === JSON.stringify(stamps)) return memo.sha256;
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(`${relative(dir, file)}\0`);
    await hashFile(file, hash);
  }
  const sha256 = hash.digest("hex");
  await writeFile(memoPath, JSON.stringify({ stamps, sha256 })).catch(() => undefined);
  return sha256;
}
