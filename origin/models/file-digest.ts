// SHA-256 of files, memoised by (path, size, mtime) so multi-GB weights are hashed once, not every start.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

/** Folder under the model cache dir holding the memos (shared by the model store and the runtime). */
export const DIGEST_DIR = ".digests";

export function sha256OfFile(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("end", () => done(hash.digest("hex")))
      .on("error", fail);
  });
}

interface MemoEntry {
  path: string;
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * One small JSON file per hashed file, named by a hash of its absolute path: concurrent writers
 * never share a file, and a write is a rename, so a crash leaves the old memo or the new one.
 * The trade-off: a file rewritten in place with the same size and mtime is trusted as before.
 */
export class DigestMemo {
  constructor(private readonly dir: string) {}

  private entryPath(absolute: string): string {
    const name = createHash("sha256").update(absolute).digest("hex").slice(0, 40);
    return join(this.dir, `${name}.json`);
  }

  /** The remembered digest, if the file still has the size and mtime it had when hashed. */
  async lookup(path: string): Promise<string | undefined> {
    const absolute = resolve(path);
    try {
      const [s, raw] = await Promise.all([
        stat(absolute),
        readFile(this.entryPath(absolute), "utf8"),
      ]);
      const entry = JSON.parse(raw) as MemoEntry;
      const same = entry.path === absolute && entry.size === s.size && entry.mtimeMs === s.mtimeMs;
      return same ? entry.sha256 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records `sha256` for the file as it is now; a memo that cannot be written only costs a rehash. */
  async remember(path: string, sha256: string): Promise<void> {
    const absolute = resolve(path);
    try {
      const s = await stat(absolute);
      const entry: MemoEntry = { path: absolute, size: s.size, mtimeMs: s.mtimeMs, sha256 };
      await mkdir(this.dir, { recursive: true });
      const target = this.entryPath(absolute);
      const tmp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
      await writeFile(tmp, JSON.stringify(entry));
      await rename(tmp, target);
    } catch {
      // Read-only or full cache dir: the next start hashes again, which is slow but correct.
    }
  }

  /** The file's digest, from the memo when still valid, otherwise hashed and remembered. */
  async digest(path: string): Promise<string> {
    const known = await this.lookup(path);
    if (known) return known;
    const sha256 = await sha256OfFile(path);
    await this.remember(path, sha256);
    return sha256;
  }
}
