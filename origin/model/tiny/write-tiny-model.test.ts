// Writing the model: complete Optimum layout, deterministic bytes, race-safe ensureTinyModel.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildTinyModelFiles,
  ensureTinyModel,
  tinyModelContentHash,
  writeTinyModel,
} from "./write-tiny-model";

const LAYOUT = [
  "model_index.json",
  "scheduler/scheduler_config.json",
  "text_encoder/config.json",
  "text_encoder/model.onnx",
  "tokenizer/merges.txt",
  "tokenizer/special_tokens_map.json",
  "tokenizer/tokenizer_config.json",
  "tokenizer/vocab.json",
  "unet/config.json",
  "unet/model.onnx",
  "vae_decoder/config.json",
  "vae_decoder/model.onnx",
];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tiny-model-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? listTree(dir, join(prefix, e.name)) : [join(prefix, e.name)],
    ),
  );
  return nested.flat();
}

const readJson = async (dir: string, path: string) =>
  JSON.parse(await readFile(join(dir, path), "utf8"));

describe("writeTinyModel", () => {
  it("writes every file of the Optimum ONNX layout", async () => {
    const a = join(root, "a");
    await writeTinyModel(a);
    expect((await listTree(a)).sort()).toEqual(LAYOUT);
    expect(await tinyModelContentHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("builds the same bytes every time", async () => {
    const written = join(root, "a");
    const fresh = buildTinyModelFiles();
    for (const path of LAYOUT) {
      const bytes = fresh.get(path)!;
      const expected = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Buffer.from(bytes);
      expect(Buffer.compare(await readFile(join(written, path)), expected), path).toBe(0);
    }
  });

  it("describes itself the way diffusers and transformers configs do", async () => {
    const dir = join(root, "a");
    const index = await readJson(dir, "model_index.json");
    expect(index._class_name).toBe("ORTStableDiffusionPipeline");
    expect(index.scheduler).toEqual(["diffusers", "EulerDiscreteScheduler"]);
    expect(index.text_encoder).toEqual(["optimum", "ORTModelTextEncoder"]);
    const scheduler = await readJson(dir, "scheduler/scheduler_config.json");
    expect(scheduler).toMatchObject({
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: "scaled_linear",
      timestep_spacing: "trailing",
      steps_offset: 1,
      prediction_type: "epsilon",
    });
    const vae = await readJson(dir, "vae_decoder/config.json");
    expect(2 ** (vae.block_out_channels.length - 1)).toBe(8);
    expect(vae.scaling_factor).toBe(0.18215);
    const text = await readJson(dir, "text_encoder/config.json");
    const unet = await readJson(dir, "unet/config.json");
    expect(unet.cross_attention_dim).toBe(text.hidden_size);
    const tokenizer = await readJson(dir, "tokenizer/tokenizer_config.json");
    expect(tokenizer).toMatchObject({
      model_max_length: 77,
      do_lower_case: true,
      bos_token: "<|startoftext|>",
    });
    expect(
      (await readFile(join(dir, "tokenizer/merges.txt"), "utf8")).startsWith("#version: 0.2\n"),
    ).toBe(true);
  });

  it("gives each variant its own bytes", async () => {
    const dir = join(root, "int32");
    await writeTinyModel(dir, { inputIds: "int32", timestep: "int64-1" });
    expect(await tinyModelContentHash(dir)).not.toBe(await tinyModelContentHash(join(root, "a")));
  });
});

describe("the LCM-style variant (timestepCond)", () => {
  it("declares time_cond_proj_dim and records itself; the other variants do neither", async () => {
    const dir = join(root, "lcm");
    await writeTinyModel(dir, { inputIds: "int64", timestep: "float-batch", timestepCond: true });
    expect((await readJson(dir, "unet/config.json")).time_cond_proj_dim).toBe(256);
    expect((await readJson(dir, "model_index.json"))._darkroom_tiny.variant).toEqual({
      inputIds: "int64",
      timestep: "float-batch",
      timestepCond: true,
    });
    const plain = join(root, "a");
    expect((await readJson(plain, "unet/config.json")).time_cond_proj_dim).toBeNull();
    expect((await readJson(plain, "model_index.json"))._darkroom_tiny.variant).toEqual({
      inputIds: "int64",
      timestep: "float-batch",
    });
    // Asking for it off is the default model, byte for byte.
    const off = join(root, "lcm-off");
    await writeTinyModel(off, { inputIds: "int64", timestep: "float-batch", timestepCond: false });
    expect(await tinyModelContentHash(off)).toBe(await tinyModelContentHash(plain));
    expect(await tinyModelContentHash(dir)).not.toBe(await tinyModelContentHash(plain));
  });
});

describe("ensureTinyModel", () => {
  it("lets concurrent callers share one complete model and leaves no staging directories", async () => {
    const target = join(root, "shared", "tiny-sd");
    const dirs = await Promise.all([1, 2, 3].map(() => ensureTinyModel(target)));
    expect(new Set(dirs)).toEqual(new Set([target]));
    expect(await tinyModelContentHash(target)).toBe(await tinyModelContentHash(join(root, "a")));
    expect(await readdir(join(root, "shared"))).toEqual(["tiny-sd"]);
  });

  it("does not regenerate a model that is already there", async () => {
    const target = join(root, "shared", "tiny-sd");
    const before = await tinyModelContentHash(target);
    await ensureTinyModel(target, { inputIds: "int32", timestep: "float-scalar" });
    expect(await tinyModelContentHash(target)).toBe(before);
  });
});
