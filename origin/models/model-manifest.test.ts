// Manifests: what the schema refuses, relative URLs, and loadPipeline from a manifest URL end to end.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipeline } from "../load-pipeline";
import { writeTinyModel } from "../model/tiny";
import { contentHash } from "../runtime/optimum-layout";
import { type ModelFileServer, startModelFileServer } from "./model-file-server.test-support";
import { parseManifest, readManifest } from "./model-manifest";
import { ModelStoreError } from "./model-store-failure";

const SHA = "a".repeat(64);
const file = (path: string, url = "https://example.com/x") => ({ path, url, sha256: SHA, size: 1 });
let source: string;
let server: ModelFileServer;
const dirs: string[] = [];

beforeAll(async () => {
  source = await mkdtemp(join(tmpdir(), "darkroom-manifest-src-"));
  dirs.push(source);
  await writeTinyModel(source);
  server = await startModelFileServer(source);
});
afterAll(async () => {
  await server.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function modelFiles(): Promise<string[]> {
  const entries = await readdir(source, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => join(e.parentPath, e.name).slice(source.length + 1));
}

describe("parseManifest", () => {
  it.each([
    ["a path escaping the model folder", { id: "m", files: [file("../etc/passwd")] }],
    ["an absolute path", { id: "m", files: [file("/etc/passwd")] }],
    ["a hidden segment", { id: "m", files: [file("unet/.x")] }],
    ["a bad sha256", { id: "m", files: [{ ...file("a"), sha256: "xyz" }] }],
    ["a duplicate path", { id: "m", files: [file("a"), file("a")] }],
    ["the reserved id 'optimized'", { id: "optimized", files: [file("a")] }],
    ["a relative url without a base", { id: "m", files: [file("a", "a.onnx")] }],
  ])("refuses %s", (_label, raw) => {
    const result = parseManifest(raw, "test.json");
    expect(result).toMatchObject({ ok: false, kind: "manifest_invalid" });
  });

  it("resolves relative file URLs against the manifest's own URL", () => {
    const result = parseManifest(
      { id: "m", files: [file("unet/model.onnx", "unet/model.onnx")] },
      "x",
      "https://models.example/sd/manifest.json",
    );
    expect(result.ok && result.manifest.files[0]!.url).toBe(
      "https://models.example/sd/unet/model.onnx",
    );
  });
});

describe("loading a model from a manifest", () => {
  it("fetches a manifest URL with relative file URLs and loads the model it describes", async () => {
    const manifest = await server.manifest("tiny-remote", await modelFiles());
    const relative = manifest.files.map((f) => ({ ...f, url: f.path }));
    server.override(
      "manifest.json",
      Buffer.from(JSON.stringify({ id: manifest.id, files: relative })),
    );
    const cache = await mkdtemp(join(tmpdir(), "darkroom-manifest-cache-"));
    dirs.push(cache);
    const pipeline = await loadPipeline({
      modelDir: "unused",
      modelManifest: `${server.baseUrl}/manifest.json`,
      modelCacheDir: cache,
      providers: ["cpu"],
      intraOpThreads: 1,
      interOpThreads: 1,
      cudaDevice: 0,
    });
    expect(pipeline.model.id).toBe("tiny-remote");
    expect(pipeline.model.sha256).toBe(await contentHash(source));
    await pipeline.runtime.dispose();
  });

  it("fails start-up with the store's tagged failure when a file is missing on the server", async () => {
    const manifest = await server.manifest("tiny-broken", await modelFiles());
    manifest.files[0]!.url = `${server.baseUrl}/gone.onnx`;
    server.override("broken.json", Buffer.from(JSON.stringify(manifest)));
    const cache = await mkdtemp(join(tmpdir(), "darkroom-manifest-cache-"));
    dirs.push(cache);
    const loading = loadPipeline({
      modelDir: "unused",
      modelManifest: `${server.baseUrl}/broken.json`,
      modelCacheDir: cache,
      providers: ["cpu"],
      intraOpThreads: 1,
      interOpThreads: 1,
      cudaDevice: 0,
    });
    const error = await loading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelStoreError);
    expect((error as ModelStoreError).failure).toMatchObject({ kind: "http_status", status: 404 });
  });

  it("says which setting to fix when the manifest cannot be read", async () => {
    const result = await readManifest(join(source, "no-such-manifest.json"));
    expect(result).toMatchObject({ ok: false, kind: "manifest_unreadable" });
    if (!result.ok) expect(result.message).toContain("DARKROOM_MODEL_MANIFEST");
  });
});
