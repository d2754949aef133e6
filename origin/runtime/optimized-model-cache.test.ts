// The optimized-graph cache on real onnxruntime sessions: written once, reused, never stale, never fatal.
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTinyModel } from "../model/tiny";
import { loadOnnxRuntime } from "./onnx-diffusion-runtime";
import { openSession, type SessionSettings } from "./ort-session";

const base: SessionSettings = {
  providers: ["cpu"],
  intraOpThreads: 1,
  interOpThreads: 1,
  cudaDevice: 0,
};
const dirs: string[] = [];
let model: string;

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function entries(cache: string): Promise<string[]> {
  return readdir(join(cache, "optimized")).catch(() => []);
}

async function open(path: string, cache: string, warnings: string[] = []) {
  const settings = { ...base, modelCacheDir: cache };
  const opened = await openSession(path, settings, (m) => warnings.push(m));
  return opened.session;
}

beforeAll(async () => {
  model = await tempDir("darkroom-opt-model-");
  await writeTinyModel(model);
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("optimized-model cache", () => {
  it("saves the optimized graph on first open and opens it, unrewritten, afterwards", async () => {
    const cache = await tempDir("darkroom-opt-cache-");
    const unet = join(model, "unet/model.onnx");
    await (await open(unet, cache)).release();
    const [entry, ...others] = await entries(cache);
    expect(others).toEqual([]);
    const saved = join(cache, "optimized", entry!, "model.onnx");
    const first = await stat(saved);

    await (await open(unet, cache)).release();
    const second = await stat(saved);
    expect(second.mtimeMs).toBe(first.mtimeMs);
    expect(second.ino).toBe(first.ino);
    expect(await entries(cache)).toEqual([entry]);

    // Proof the second open reads the cache: put another graph there and see its inputs come back.
    await copyFile(join(model, "vae_decoder/model.onnx"), saved);
    const swapped = await open(unet, cache);
    expect(swapped.inputNames).toEqual(["latent_sample"]);
    await swapped.release();
  });

  it("gives the same UNet output from the cached graph as from the original", async () => {
    const cache = await tempDir("darkroom-opt-cache-");
    const sample = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i));
    const run = async (settings: SessionSettings) => {
      const runtime = await loadOnnxRuntime(model, settings);
      const ids = new Int32Array(runtime.model.seqLen).fill(3);
      const [context] = await runtime.encodeText([ids]);
      const [out] = await runtime.unet([{ sample, timestep: 499, context: context! }], 8, 8);
      await runtime.dispose();
      return out!;
    };
    const plain = await run(base);
    await run({ ...base, modelCacheDir: cache });
    expect((await entries(cache)).length).toBe(3);
    const cached = await run({ ...base, modelCacheDir: cache });
    let maxDiff = 0;
    for (let i = 0; i < plain.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(plain[i]! - cached[i]!));
    expect(maxDiff).toBe(0);
  });

  it("never opens a stale graph after the model file changes", async () => {
    const cache = await tempDir("darkroom-opt-cache-");
    const dir = await tempDir("darkroom-opt-swap-");
    const path = join(dir, "model.onnx");
    await copyFile(join(model, "unet/model.onnx"), path);
    await (await open(path, cache)).release();
    await copyFile(join(model, "vae_decoder/model.onnx"), path);
    const changed = await open(path, cache);
    expect(changed.inputNames).toEqual(["latent_sample"]);
    await changed.release();
    expect((await entries(cache)).length).toBe(2);
  });

  it("rebuilds a corrupt cached graph instead of failing", async () => {
    const cache = await tempDir("darkroom-opt-cache-");
    const unet = join(model, "unet/model.onnx");
    await (await open(unet, cache)).release();
    const [entry] = await entries(cache);
    const saved = join(cache, "optimized", entry!, "model.onnx");
    await writeFile(saved, "not a graph");
    const warnings: string[] = [];
    const session = await open(unet, cache, warnings);
    expect(session.inputNames).toContain("sample");
    await session.release();
    expect(warnings.join("\n")).toMatch(/did not open.*rebuilding/);
    expect((await stat(saved)).size).toBeGreaterThan("not a graph".length);
  });

  it("falls back to a plain open when the cache dir cannot be used", async () => {
    const dir = await tempDir("darkroom-opt-blocked-");
    const blocked = join(dir, "file-not-dir");
    await writeFile(blocked, "");
    const warnings: string[] = [];
    const session = await open(join(model, "unet/model.onnx"), blocked, warnings);
    expect(session.inputNames).toContain("sample");
    await session.release();
    expect(warnings.length).toBeGreaterThan(0);
  });

  it("leaves no cache behind when it is switched off", async () => {
    const cache = await tempDir("darkroom-opt-cache-");
    await mkdir(cache, { recursive: true });
    const settings = { ...base, modelCacheDir: cache, cacheOptimizedModels: false };
    await (await openSession(join(model, "unet/model.onnx"), settings)).session.release();
    expect(await entries(cache)).toEqual([]);
  });
});
