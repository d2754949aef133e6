// The local disk cache of remote models: fetches a manifest's files once, verified, resumable, shared.
import { mkdir, rename, rm, stat, statfs } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Dispatcher } from "undici";
import { bytesOnDisk, downloadDispatcher, transfer } from "./download-file";
import { type DownloadProgress, defaultProgress } from "./download-progress";
import { DIGEST_DIR, DigestMemo, sha256OfFile } from "./file-digest";
import { type ManifestFile, type ModelManifest, readManifest } from "./model-manifest";
import {
  diskFull,
  formatBytes,
  hashMismatch,
  type ModelStoreFailure,
  sizeMismatch,
} from "./model-store-failure";

export interface ModelStoreOptions {
  cacheDir: string;
  dispatcher?: Dispatcher;
  progress?: DownloadProgress;
  log?: (line: string) => void;
  /** Transfers per file before giving up on network errors and 5xx; each resumes the last. */
  attempts?: number;
  /** First pause between attempts, doubled each time. */
  retryDelayMs?: number;
  freeBytes?: (dir: string) => Promise<number>;
}

export type EnsureResult =
  | { ok: true; dir: string; downloaded: string[] }
  | { ok: false; failure: ModelStoreFailure };

type FileResult = { ok: true; downloaded: boolean } | { ok: false; failure: ModelStoreFailure };

async function freeBytesOf(dir: string): Promise<number> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export class ModelStore {
  readonly cacheDir: string;
  private readonly memo: DigestMemo;
  readonly dispatcher: Dispatcher;
  private readonly progress: DownloadProgress;
  private readonly log: (line: string) => void;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly freeBytes: (dir: string) => Promise<number>;
  /** One promise per file being checked or fetched, so concurrent ensure() calls share the work. */
  private readonly inFlight = new Map<string, Promise<FileResult>>();

  constructor(options: ModelStoreOptions) {
    this.cacheDir = resolve(options.cacheDir);
    this.memo = new DigestMemo(join(this.cacheDir, DIGEST_DIR));
    this.dispatcher = options.dispatcher ?? downloadDispatcher();
    this.log = options.log ?? ((line) => console.error(`darkroom: ${line}`));
    this.progress = options.progress ?? defaultProgress(this.log);
    this.attempts = options.attempts ?? 4;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.freeBytes = options.freeBytes ?? freeBytesOf;
  }

  modelDir(id: string): string {
    return join(this.cacheDir, id);
  }

  /** Makes every file of the manifest present and verified under `<cacheDir>/<id>/`. */
  async ensure(manifest: ModelManifest): Promise<EnsureResult> {
    const dir = this.modelDir(manifest.id);
    const downloaded: string[] = [];
    // One file at a time: the UNet dominates, and one bar or log stream per model stays readable.
    for (const file of manifest.files) {
      const result = await this.fileOnce(dir, file);
      if (!result.ok) return result;
      if (result.downloaded) downloaded.push(file.path);
    }
    if (downloaded.length > 0) {
      const bytes = manifest.files.reduce((sum, f) => sum + f.size, 0);
      this.log(`model ${manifest.id} ready in ${dir} (${formatBytes(bytes)})`);
    }
    return { ok: true, dir, downloaded };
  }

  private fileOnce(dir: string, file: ManifestFile): Promise<FileResult> {
    const key = join(dir, file.path);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.ensureFile(dir, file).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async ensureFile(dir: string, file: ManifestFile): Promise<FileResult> {
    const target = join(dir, file.path);
    if (await this.isVerified(target, file)) return { ok: true, downloaded: false };
    await mkdir(dirname(target), { recursive: true });
    const partial = `${target}.partial`;
    const need = file.size - (await bytesOnDisk(partial));
    const free = await this.freeBytes(dirname(target));
    if (free < need) return { ok: false, failure: diskFull(file.path, dir, need, free) };
    const fetched = await this.download(dir, file, partial);
    if (!fetched.ok) return fetched;
    return this.verify(target, partial, file);
  }

  /** Same size, and a digest remembered for this size and mtime (or computed now) that matches. */
  private async isVerified(target: string, file: ManifestFile): Promise<boolean> {
    const size = await stat(target).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== file.size) return false;
    const known = await this.memo.lookup(target);
    if (known !== undefined) return known === file.sha256;
    const actual = await sha256OfFile(target);
    if (actual !== file.sha256) return false;
    await this.memo.remember(target, actual);
    return true;
  }

  private async download(dir: string, file: ManifestFile, partial: string): Promise<FileResult> {
    const progress = this.progress.begin(file.path, file.size, await bytesOnDisk(partial));
    try {
      for (let attempt = 1; ; attempt++) {
        const target = { file: file.path, url: file.url, partial, size: file.size };
        const result = await transfer(target, this.dispatcher, progress);
        if (result.ok) return { ok: true, downloaded: true };
        if (result.diskFull) {
          const need = file.size - (await bytesOnDisk(partial));
          const free = await this.freeBytes(dirname(partial));
          return { ok: false, failure: diskFull(file.path, dir, need, free) };
        }
        if (!result.retryable || attempt >= this.attempts) return result;
        this.log(`${file.path}: attempt ${attempt}/${this.attempts} failed; resuming`);
        await sleep(this.retryDelayMs * 2 ** (attempt - 1));
      }
    } finally {
      progress.finish();
    }
  }

  private async verify(target: string, partial: string, file: ManifestFile): Promise<FileResult> {
    const size = await bytesOnDisk(partial);
    if (size !== file.size) {
      await rm(partial, { force: true });
      return { ok: false, failure: sizeMismatch(file.path, file.size, size) };
    }
    const actual = await sha256OfFile(partial);
    if (actual !== file.sha256) {
      await rm(partial, { force: true });
      return { ok: false, failure: hashMismatch(file.path, file.sha256, actual) };
    }
    await rename(partial, target);
    await this.memo.remember(target, actual);
    return { ok: true, downloaded: true };
  }
}

export type FetchedModel =
  | { ok: true; id: string; dir: string }
  | { ok: false; failure: ModelStoreFailure };

/** Manifest path or URL → the verified local folder (what DARKROOM_MODEL_MANIFEST resolves to). */
export async function fetchModel(source: string, store: ModelStore): Promise<FetchedModel> {
  const read = await readManifest(source, store.dispatcher);
  if (!read.ok) return { ok: false, failure: { kind: read.kind, message: read.message } };
  const ensured = await store.ensure(read.manifest);
  if (!ensured.ok) return ensured;
  return { ok: true, id: read.manifest.id, dir: ensured.dir };
}
