// The model store against a real local HTTP server: verify, resume, share, reuse, and fail clearly.
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeTinyModel } from "../model/tiny";
import { logProgress } from "./download-progress";
import { type ModelFileServer, startModelFileServer } from "./model-file-server.test-support";
import { ModelStore } from "./model-store";

const FILES = ["model_index.json", "unet/model.onnx", "text_encoder/model.onnx"];
const BIG = "text_encoder/model.onnx";
const dirs: string[] = [];
let source: string;
let server: ModelFileServer;

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

function quietStore(
  cacheDir: string,
  extra: Partial<ConstructorParameters<typeof ModelStore>[0]> = {},
) {
  return new ModelStore({
    cacheDir,
    log: () => undefined,
    progress: logProgress(() => undefined),
    retryDelayMs: 0,
    ...extra,
  });
}

/** Buffer.equals, not toEqual: deep-equality over 600 KB of bytes takes minutes. */
async function sameFile(a: string, b: string): Promise<boolean> {
  return (await readFile(a)).equals(await readFile(b));
}

const requestsFor = (path: string) => server.requests.filter((r) => r.path === path);

beforeAll(async () => {
  source = await tempDir("darkroom-source-");
  await writeTinyModel(source);
});
afterEach(async () => server?.close());
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("ModelStore.ensure", () => {
  it("downloads every file into <cacheDir>/<id>/<path>, byte-identical, without leftovers", async () => {
    server = await startModelFileServer(source);
    const cache = await tempDir("darkroom-cache-");
    const result = await quietStore(cache).ensure(await server.manifest("org/tiny", FILES));
    expect(result).toMatchObject({ ok: true, dir: join(cache, "org/tiny"), downloaded: FILES });
    for (const file of FILES) {
      expect(await sameFile(join(cache, "org/tiny", file), join(source, file))).toBe(true);
    }
    const left = await readdir(join(cache, "org/tiny"), { recursive: true });
    expect(left.filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("rejects a hash mismatch, names the file and both hashes, and deletes the partial", async () => {
    server = await startModelFileServer(source);
    const manifest = await server.manifest("tiny", FILES);
    const tampered = new Uint8Array(await readFile(join(source, "unet/model.onnx")));
    tampered[100] = tampered[100]! ^ 0xff;
    server.override("unet/model.onnx", tampered);
    const cache = await tempDir("darkroom-cache-");
    const result = await quietStore(cache).ensure(manifest);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const expected = manifest.files[1]!.sha256;
    expect(result.failure).toMatchObject({
      kind: "hash_mismatch",
      file: "unet/model.onnx",
      expected,
    });
    expect(result.failure.message).toContain("unet/model.onnx");
    expect(result.failure.message).toContain(expected);
    expect(result.failure.message).toMatch(/SHA-256 [0-9a-f]{64}/);
    const unetDir = await readdir(join(cache, "tiny/unet"));
    expect(unetDir).toEqual([]);
  });

  it("resumes an interrupted transfer with a Range request and verifies the whole file", async () => {
    server = await startModelFileServer(source);
    const size = (await readFile(join(source, BIG))).length;
    server.cutOnce(BIG, Math.floor(size / 2));
    const cache = await tempDir("darkroom-cache-");
    const result = await quietStore(cache).ensure(await server.manifest("tiny", FILES));
    expect(result.ok).toBe(true);
    const [first, second, ...more] = requestsFor(BIG);
    expect(more).toEqual([]);
    expect(first).toMatchObject({ range: undefined, status: 200 });
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(second?.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(Math.floor(size / 2));
    expect(second?.status).toBe(206);
    expect(await sameFile(join(cache, "tiny", BIG), join(source, BIG))).toBe(true);
  });

  it("starts over when the server answers a Range request with 200", async () => {
    server = await startModelFileServer(source);
    server.ignoreRanges = true;
    const size = (await readFile(join(source, BIG))).length;
    server.cutOnce(BIG, Math.floor(size / 3));
    const cache = await tempDir("darkroom-cache-");
    const result = await quietStore(cache).ensure(await server.manifest("tiny", FILES));
    expect(result.ok).toBe(true);
    expect(requestsFor(BIG).map((r) => [r.range !== undefined, r.status])).toEqual([
      [false, 200],
      [true, 200],
    ]);
    expect(await sameFile(join(cache, "tiny", BIG), join(source, BIG))).toBe(true);
  });

  it("shares one download between concurrent ensure() calls: one request per file", async () => {
    server = await startModelFileServer(source);
    const manifest = await server.manifest("tiny", FILES);
    const store = quietStore(await tempDir("darkroom-cache-"));
    const [a, b] = await Promise.all([store.ensure(manifest), store.ensure(manifest)]);
    expect(a.ok && b.ok).toBe(true);
    for (const file of FILES) expect(requestsFor(file)).toHaveLength(1);
  });

  it("does not download again after a restart, and re-fetches a file changed on disk", async () => {
    server = await startModelFileServer(source);
    const manifest = await server.manifest("tiny", FILES);
    const cache = await tempDir("darkroom-cache-");
    await quietStore(cache).ensure(manifest);
    const before = server.requests.length;
    const again = await quietStore(cache).ensure(manifest);
    expect(again).toMatchObject({ ok: true, downloaded: [] });
    expect(server.requests.length).toBe(before);

    const unet = join(cache, "tiny/unet/model.onnx");
    const corrupt = new Uint8Array(await readFile(unet));
    corrupt[10] = corrupt[10]! ^ 1;
    await writeFile(unet, corrupt);
    await utimes(unet, new Date(), new Date(Date.now() + 5_000));
    const healed = await quietStore(cache).ensure(manifest);
    expect(healed).toMatchObject({ ok: true, downloaded: ["unet/model.onnx"] });
    expect(await sameFile(unet, join(source, "unet/model.onnx"))).toBe(true);
  });

  it("reports a 404 as a tagged failure that says to fix the manifest, without retrying", async () => {
    server = await startModelFileServer(source);
    const manifest = await server.manifest("tiny", FILES);
    manifest.files[1]!.url = `${server.baseUrl}/missing.onnx`;
    const result = await quietStore(await tempDir("darkroom-cache-")).ensure(manifest);
    expect(result).toMatchObject({ ok: false, failure: { kind: "http_status", status: 404 } });
    if (!result.ok) expect(result.failure.message).toMatch(/unet\/model\.onnx.*fix the manifest/);
    expect(requestsFor("missing.onnx")).toHaveLength(1);
  });

  it("refuses to start a download that cannot fit on the disk", async () => {
    server = await startModelFileServer(source);
    const store = quietStore(await tempDir("darkroom-cache-"), { freeBytes: async () => 10 });
    const result = await store.ensure(await server.manifest("tiny", FILES));
    expect(result).toMatchObject({ ok: false, failure: { kind: "disk_full", freeBytes: 10 } });
    if (!result.ok) expect(result.failure.message).toContain("DARKROOM_MODEL_CACHE_DIR");
    expect(server.requests).toEqual([]);
  });

  it("logs progress in 10 % steps when not on a terminal", async () => {
    server = await startModelFileServer(source);
    const lines: string[] = [];
    const store = quietStore(await tempDir("darkroom-cache-"), {
      progress: logProgress((line) => lines.push(line)),
    });
    await store.ensure(await server.manifest("tiny", [BIG]));
    expect(lines.at(-1)).toMatch(/^downloading text_encoder\/model\.onnx: 100% /);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(11);
  });
});
