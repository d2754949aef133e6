// The three graphs: Optimum-compatible I/O per variant, row-independent batching, any latent size.
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { HIDDEN_SIZE } from "./embedding-space";
import { lexiconWords } from "./lexicon";
import { alphasCumprod } from "./noise-schedule";
import { WeightStream } from "./prng";
import { buildTextEncoder } from "./text-encoder-graph";
import { buildUnet } from "./unet-graph";
import { buildVaeDecoder } from "./vae-decoder-graph";
import { INPUT_ID_TYPES, TIME_COND_PROJ_DIM, TIMESTEP_KINDS, type TinyVariant } from "./variant";
import { buildVocabulary, type Vocabulary } from "./vocabulary";

const D = HIDDEN_SIZE;
let vocab: Vocabulary;
beforeAll(() => {
  vocab = buildVocabulary(lexiconWords());
});

const session = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, { intraOpNumThreads: 2 });
const io = (meta: readonly ort.InferenceSession.ValueMetadata[]) =>
  meta.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name },
  );
const randomTensor = (label: string, dims: number[]) =>
  new ort.Tensor("float32", new WeightStream(label).normals(dims.reduce((a, b) => a * b, 1)), dims);

describe("graph inputs and outputs match an Optimum export", () => {
  it.each(INPUT_ID_TYPES)("text encoder with %s input_ids", async (inputIds) => {
    const s = await session(buildTextEncoder(vocab, { inputIds, timestep: "float-batch" }));
    expect(io(s.inputMetadata)).toEqual([
      { name: "input_ids", type: inputIds, shape: ["batch_size", "sequence_length"] },
    ]);
    expect(io(s.outputMetadata)).toEqual([
      { name: "last_hidden_state", type: "float32", shape: ["batch_size", "sequence_length", D] },
      { name: "pooler_output", type: "float32", shape: ["batch_size", D] },
    ]);
  });

  const timestepMeta = {
    "float-batch": ["float32", ["steps"]],
    "int64-1": ["int64", [1]],
    "float-scalar": ["float32", []],
  };
  it.each(TIMESTEP_KINDS)("unet with a %s timestep", async (timestep) => {
    const s = await session(buildUnet({ inputIds: "int64", timestep }));
    const [type, shape] = timestepMeta[timestep];
    expect(io(s.inputMetadata)).toEqual([
      { name: "sample", type: "float32", shape: ["batch_size", "num_channels", "height", "width"] },
      { name: "timestep", type, shape },
      {
        name: "encoder_hidden_states",
        type: "float32",
        shape: ["batch_size", "sequence_length", D],
      },
    ]);
    expect(io(s.outputMetadata)).toEqual([
      { name: "out_sample", type: "float32", shape: ["batch_size", 4, "height", "width"] },
    ]);
  });

  it("LCM-style unet with a timestep_cond input, declared last as Optimum does", async () => {
    const s = await session(
      buildUnet({ inputIds: "int64", timestep: "float-batch", timestepCond: true }),
    );
    expect(io(s.inputMetadata).map((m) => m.name)).toEqual([
      "sample",
      "timestep",
      "encoder_hidden_states",
      "timestep_cond",
    ]);
    expect(io(s.inputMetadata)[3]).toEqual({
      name: "timestep_cond",
      type: "float32",
      shape: ["batch_size", TIME_COND_PROJ_DIM],
    });
  });

  it("vae decoder", async () => {
    const s = await session(buildVaeDecoder());
    expect(io(s.inputMetadata)).toEqual([
      {
        name: "latent_sample",
        type: "float32",
        shape: ["batch_size", "num_channels_latent", "height_latent", "width_latent"],
      },
    ]);
    expect(io(s.outputMetadata)).toEqual([
      { name: "sample", type: "float32", shape: ["batch_size", 3, "height", "width"] },
    ]);
  });
});

function timestepTensor(variant: TinyVariant, values: number[]): ort.Tensor {
  if (variant.timestep === "int64-1")
    return new ort.Tensor("int64", BigInt64Array.of(BigInt(values[0]!)), [1]);
  if (variant.timestep === "float-scalar")
    return new ort.Tensor("float32", Float32Array.of(values[0]!), []);
  return new ort.Tensor("float32", Float32Array.from(values), [values.length]);
}

function row(t: ort.Tensor, i: number): ort.Tensor {
  const size = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const data = (t.data as Float32Array).slice(i * size, (i + 1) * size);
  return new ort.Tensor("float32", data, [1, ...t.dims.slice(1)]);
}

describe("text encoder", () => {
  it("gives the same states for int32 and int64 input_ids, at any sequence length", async () => {
    const ids = [vocab.bosId, 320, 1315, 918, vocab.eosId, vocab.eosId];
    const run = async (inputIds: TinyVariant["inputIds"]) => {
      const s = await session(buildTextEncoder(vocab, { inputIds, timestep: "float-batch" }));
      const tensor =
        inputIds === "int64"
          ? new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length])
          : new ort.Tensor("int32", Int32Array.from(ids), [1, ids.length]);
      return (await s.run({ input_ids: tensor })).last_hidden_state!;
    };
    const [a, b] = [await run("int64"), await run("int32")];
    expect(a.dims).toEqual([1, ids.length, D]);
    expect([...(a.data as Float32Array)]).toEqual([...(b.data as Float32Array)]);
  });
});

describe("unet batching", () => {
  it.each([
    [{ inputIds: "int64", timestep: "float-batch" }, [999, 249]],
    [{ inputIds: "int64", timestep: "int64-1" }, [499, 499]],
    [{ inputIds: "int64", timestep: "float-scalar" }, [749, 749]],
  ] as [TinyVariant, number[]][])(
    "gives each row what it gets alone (%o, t=%o)",
    async (variant, steps) => {
      const unet = await session(buildUnet(variant));
      const sample = randomTensor("sample", [2, 4, 32, 32]);
      const ehs = randomTensor("ehs", [2, 77, D]);
      const batched = (
        await unet.run({
          sample,
          timestep: timestepTensor(variant, steps),
          encoder_hidden_states: ehs,
        })
      ).out_sample!;
      for (const i of [0, 1]) {
        const alone = await unet.run({
          sample: row(sample, i),
          timestep: timestepTensor(variant, [steps[i]!]),
          encoder_hidden_states: row(ehs, i),
        });
        const a = row(batched, i).data as Float32Array;
        const b = alone.out_sample!.data as Float32Array;
        const worst = a.reduce((m, v, j) => Math.max(m, Math.abs(v - b[j]!)), 0);
        expect(worst).toBeLessThan(1e-5);
      }
    },
  );

  it("gives each row its own timestep_cond, which changes the prediction", async () => {
    const unet = await session(
      buildUnet({ inputIds: "int64", timestep: "float-batch", timestepCond: true }),
    );
    const sample = randomTensor("sample", [2, 4, 16, 16]);
    const ehs = randomTensor("ehs", [2, 77, D]);
    const cond = randomTensor("cond", [2, TIME_COND_PROJ_DIM]);
    const timestep = new ort.Tensor("float32", Float32Array.of(759, 759), [2]);
    const run = async (c: ort.Tensor, i?: number) =>
      (
        await unet.run(
          i === undefined
            ? { sample, timestep, encoder_hidden_states: ehs, timestep_cond: c }
            : {
                sample: row(sample, i),
                timestep: new ort.Tensor("float32", Float32Array.of(759), [1]),
                encoder_hidden_states: row(ehs, i),
                timestep_cond: row(c, i),
              },
        )
      ).out_sample!.data as Float32Array;
    const batched = await run(cond);
    const size = batched.length / 2;
    for (const i of [0, 1]) {
      const alone = await run(cond, i);
      const worst = alone.reduce((m, v, j) => Math.max(m, Math.abs(v - batched[i * size + j]!)), 0);
      expect(worst).toBeLessThan(1e-5);
    }
    const zero = new ort.Tensor("float32", new Float32Array(2 * TIME_COND_PROJ_DIM), [
      2,
      TIME_COND_PROJ_DIM,
    ]);
    const moved = await run(zero);
    expect(moved.reduce((m, v, j) => Math.max(m, Math.abs(v - batched[j]!)), 0)).toBeGreaterThan(
      1e-3,
    );
  });

  it("accepts any latent size that is a multiple of 8, keeping its shape", async () => {
    const unet = await session(buildUnet({ inputIds: "int64", timestep: "float-batch" }));
    for (const [h, w] of [
      [64, 64],
      [32, 48],
      [128, 128],
    ]) {
      const out = await unet.run({
        sample: randomTensor("s", [1, 4, h!, w!]),
        timestep: timestepTensor({ inputIds: "int64", timestep: "float-batch" }, [500.5]),
        encoder_hidden_states: randomTensor("e", [1, 77, D]),
      });
      expect(out.out_sample!.dims).toEqual([1, 4, h, w]);
      expect((out.out_sample!.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });
});

describe("unet resnet trunk", () => {
  it("reacts to pixel-level detail, which the composition and seed field cannot see", async () => {
    // Those two read the sample only through block means. A ±0.5 checkerboard leaves every block
    // mean unchanged, so any change in the x0 implied by ε is the trunk's doing.
    const variant: TinyVariant = { inputIds: "int64", timestep: "float-batch" };
    const unet = await session(buildUnet(variant));
    const [t, alphaBar] = [499, alphasCumprod()[499]!];
    const ehs = randomTensor("ehs", [1, 77, D]);
    const impliedX0 = async (sample: Float32Array) => {
      const out = await unet.run({
        sample: new ort.Tensor("float32", sample, [1, 4, 32, 32]),
        timestep: timestepTensor(variant, [t]),
        encoder_hidden_states: ehs,
      });
      const eps = out.out_sample!.data as Float32Array;
      return sample.map((v, i) => (v - Math.sqrt(1 - alphaBar) * eps[i]!) / Math.sqrt(alphaBar));
    };
    const base = randomTensor("sample", [1, 4, 32, 32]).data as Float32Array;
    const checker = base.map((v, i) => v + (((i % 32) + Math.floor(i / 32)) % 2 ? 0.5 : -0.5));
    const [a, b] = [await impliedX0(base), await impliedX0(checker)];
    const meanChange = a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;
    expect(meanChange).toBeGreaterThan(1e-3); // ~1e-7 without the trunk
  });
});

describe("vae decoder", () => {
  it("decodes to 8× the latent size with values in [-1, 1]", async () => {
    const vae = await session(buildVaeDecoder());
    const latents = randomTensor("latents", [2, 4, 32, 48]);
    (latents.data as Float32Array).forEach((v, i, a) => {
      a[i] = v * 20; // far beyond real latents / 0.18215
    });
    const out = (await vae.run({ latent_sample: latents })).sample!;
    expect(out.dims).toEqual([2, 3, 256, 384]);
    const data = out.data as Float32Array;
    expect(data.every((v) => v >= -1 && v <= 1)).toBe(true);
  });
});
