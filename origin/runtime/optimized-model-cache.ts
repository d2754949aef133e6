// onnxruntime's optimized graph cached on disk: the first open saves it, later opens skip the optimizer.
import { createHash, randomBytes } from "node:crypto";
import { access, mkdir, readdir, rename, rm } from "node:fs/promises";
import { cpus } from "node:os";
import { basename, dirname, join } from "node:path";
import type * as ort from "onnxruntime-node";
import { DIGEST_DIR, DigestMemo } from "../models/file-digest";

type Overrides = Partial<ort.InferenceSession.SessionOptions>;
export type CreateSession = (path: string, overrides: Overrides) => Promise<ort.InferenceSession>;

/** What the saved graph depends on besides the model's bytes (ORT docs: same EP, level, hardware). */
export interface GraphIdentity {
  onnxruntimeVersion: string;
  /** "cpu", or "cuda:<device>": graphs optimized for one EP are not valid for another. */
  provider: string;
  level: string;
}

/**
 * Weights are saved to an external file beside the graph: a single protobuf cannot exceed 2 GiB,
 * which a fp32 SD UNet does. Small initializers stay inline so shape inference still sees them.
 */
const SAVE_WITH_EXTERNAL_DATA: Overrides = {
  extra: {
    session: {
      optimized_model_external_initializers_file_name: "model.onnx_data",
      optimized_model_external_initializers_min_size_in_bytes: "1024",
    },
  },
};

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The graph plus its external-data siblings (Optimum's `model.onnx_data`, older `weights.pb`). */
async function componentFiles(modelPath: string): Promise<string[]> {
  const dir = dirname(modelPath);
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => e.name)
    .filter((n) => n !== basename(modelPath) && !/\.(onnx|json|txt|partial)$/.test(n));
  return [modelPath, ...names.sort().map((n) => join(dir, n))];
}

export class OptimizedModelCache {
  private readonly memo: DigestMemo;

  constructor(
    private readonly cacheDir: string,
    private readonly warn: (message: string) => void,
  ) {
    this.memo = new DigestMemo(join(cacheDir, DIGEST_DIR));
  }

  /** `<cacheDir>/optimized/<key>`: key = SHA-256 of model bytes, ORT version, EP, level, CPU. */
  async entryDir(modelPath: string, identity: GraphIdentity): Promise<string> {
    const hash = createHash("sha256");
    for (const file of await componentFiles(modelPath)) {
      hash.update(`${basename(file)}:${await this.memo.digest(file)}\n`);
    }
    const { onnxruntimeVersion, provider, level } = identity;
    // Layout (NCHWc) optimizations bake in the CPU's instruction set, so the CPU is part of the key.
    hash.update([onnxruntimeVersion, provider, level, process.arch, cpus()[0]?.model].join("\n"));
    return join(this.cacheDir, "optimized", hash.digest("hex"));
  }

  /**
   * Opens from the cached graph with optimization disabled, or builds and saves it. Any cache
   * problem (unwritable dir, corrupt entry, an EP that cannot serialize) falls back to a plain
   * open: the cache may cost a warning, never a failed start.
   */
  async open(
    modelPath: string,
    identity: GraphIdentity,
    create: CreateSession,
  ): Promise<ort.InferenceSession> {
    let entry: string;
    try {
      entry = await this.entryDir(modelPath, identity);
    } catch (error) {
      this.warn(`optimized-model cache unavailable (${(error as Error).message})`);
      return create(modelPath, {});
    }
    const cached = join(entry, "model.onnx");
    if (await exists(cached)) {
      try {
        return await create(cached, { graphOptimizationLevel: "disabled" });
      } catch (error) {
        this.warn(
          `cached optimized graph ${cached} did not open (${firstLine(error)}); rebuilding`,
        );
        await rm(entry, { recursive: true, force: true });
      }
    }
    return this.build(modelPath, entry, create);
  }

  private async build(
    modelPath: string,
    entry: string,
    create: CreateSession,
  ): Promise<ort.InferenceSession> {
    const staging = `${dirname(entry)}/.tmp-${randomBytes(8).toString("hex")}`;
    let session: ort.InferenceSession;
    try {
      await mkdir(staging, { recursive: true });
      session = await create(modelPath, {
        ...SAVE_WITH_EXTERNAL_DATA,
        optimizedModelFilePath: join(staging, "model.onnx"),
      });
    } catch (error) {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
      session = await create(modelPath, {});
      this.warn(`could not save the optimized graph of ${modelPath} (${firstLine(error)})`);
      return session;
    }
    try {
      // A directory rename is atomic: readers see a whole entry or none; a racing writer loses.
      await rename(staging, entry);
    } catch {
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
    return session;
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0] ?? "";
}
