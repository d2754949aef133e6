// DiffusionRuntime on onnxruntime-node: loads an Optimum folder and runs its three graphs in batches.
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { guidanceConditioning } from "../diffusion/guidance-embedding";
import type { DiffusionRuntime, UnetRow } from "../engine/diffusion-runtime";
import { float16ToFloat32, float32ToFloat16 } from "./float16";
import {
  checkContract,
  type FloatType,
  floatType,
  type GraphContract,
  idsType,
  TEXT_ENCODER,
  type TimestepForm,
  timestepCondForm,
  timestepForm,
  UNET,
  VAE_DECODER,
} from "./graph-contract";
import { type DescribedModel, describeModel, readSchedulerConfig } from "./model-description";
import { checkLayout } from "./optimum-layout";
import {
  describeInputs,
  describeOutputs,
  ONNXRUNTIME_VERSION,
  openSession,
  type SessionSettings,
} from "./ort-session";
import { PixelPool } from "./pixel-pool";
import { concatRows, splitRows } from "./rows";

async function openChecked(dir: string, contract: GraphContract, settings: SessionSettings) {
  const opened = await openSession(join(dir, contract.file), settings);
  checkContract(contract, describeInputs(opened.session), describeOutputs(opened.session));
  return opened;
}

function floatTensor(type: FloatType, data: Float32Array, dims: number[]): ort.Tensor {
  return type === "float16"
    ? new ort.Tensor("float16", float32ToFloat16(data), dims)
    : new ort.Tensor("float32", data, dims);
}

function readFloats(tensor: ort.Tensor | undefined, name: string): Float32Array {
  if (!tensor) throw new Error(`graph did not return ${name}`);
  if (tensor.type === "float16") return float16ToFloat32(tensor.data as Uint16Array);
  return tensor.data as Float32Array;
}

/**
 * A UNet row with the request's guidance_scale: a model with a guidance input (LCM's
 * `timestep_cond`) is conditioned on it; others ignore it (their guidance is CFG over rows).
 */
export type GuidedRow = UnetRow & { readonly guidance?: number | undefined };

export interface OnnxRuntimeOptions extends SessionSettings {
  modelId?: string | undefined;
  /** `unet`: open only the UNet (a split instance, runtime/split-runtime.ts); unset: all three. */
  graphs?: "all" | "unet" | undefined;
}

export async function loadOnnxRuntime(
  modelDir: string,
  options: OnnxRuntimeOptions,
): Promise<DiffusionRuntime> {
  const dir = resolve(modelDir);
  await checkLayout(dir);
  const schedulerConfig = await readSchedulerConfig(dir);
  const unetOnly = options.graphs === "unet";
  const text = unetOnly ? null : await openChecked(dir, TEXT_ENCODER, options);
  const unet = await openChecked(dir, UNET, options);
  const vae = unetOnly ? null : await openChecked(dir, VAE_DECODER, options);
  const unetInputs = describeInputs(unet.session);
  const model = await describeModel(dir, options.modelId, schedulerConfig, {
    unetInputs,
    textOutputs: text ? describeOutputs(text.session) : null,
    timestep: timestepForm(unetInputs),
    timestepCond: timestepCondForm(unetInputs),
    executionProvider: unet.executionProvider,
    onnxruntimeVersion: ONNXRUNTIME_VERSION,
  });
  const sessions = [text?.session ?? null, unet.session, vae?.session ?? null] as const;
  return new OnnxDiffusionRuntime(model, ...sessions, declaredForms(model, ...sessions));
}

/** The dtypes and shapes each graph declares for its inputs (and the VAE for its output). */
function declaredForms(
  model: DescribedModel,
  text: ort.InferenceSession | null,
  unet: ort.InferenceSession,
  vae: ort.InferenceSession | null,
): Forms {
  const unetInputs = describeInputs(unet);
  const timestepCond = timestepCondForm(unetInputs);
  const guidanceDim = model.guidanceEmbeddingDim;
  return {
    ids: text ? idsType(describeInputs(text)) : "int64",
    sample: floatType(unetInputs, "sample", UNET.file),
    context: floatType(unetInputs, "encoder_hidden_states", UNET.file),
    timestep: timestepForm(unetInputs),
    guidance:
      timestepCond && guidanceDim !== null ? { type: timestepCond.type, dim: guidanceDim } : null,
    latent: vae ? floatType(describeInputs(vae), "latent_sample", VAE_DECODER.file) : "float32",
    // A float32 output can be written into a reused buffer; a float16 one is converted anyway.
    pixels: vae ? describeOutputs(vae).find((o) => o.name === "sample")?.type === "float32" : false,
  };
}

interface Forms {
  ids: "int32" | "int64";
  sample: FloatType;
  context: FloatType;
  timestep: TimestepForm;
  /** The UNet's `timestep_cond` (LCM's guidance embedding), fed per row; null when absent. */
  guidance: { type: FloatType; dim: number } | null;
  latent: FloatType;
  /** The VAE's `sample` output is float32. */
  pixels: boolean;
}

class OnnxDiffusionRuntime implements DiffusionRuntime {
  private readonly pixelPool: PixelPool | null;

  constructor(
    readonly model: DescribedModel,
    /** Null in a UNet-only runtime, as is `vae`. */
    private readonly textSession: ort.InferenceSession | null,
    private readonly unetSession: ort.InferenceSession,
    private readonly vaeSession: ort.InferenceSession | null,
    private readonly forms: Forms,
  ) {
    this.pixelPool = forms.pixels ? new PixelPool() : null;
  }

  private get text(): ort.InferenceSession {
    if (!this.textSession) throw new Error("this runtime loaded only the UNet (graphs: unet)");
    return this.textSession;
  }

  private get vae(): ort.InferenceSession {
    if (!this.vaeSession) throw new Error("this runtime loaded only the UNet (graphs: unet)");
    return this.vaeSession;
  }

  async encodeText(tokenIds: readonly Int32Array[]): Promise<Float32Array[]> {
    const seq = tokenIds[0]?.length ?? this.model.seqLen;
    const flat = concatRows(tokenIds, Int32Array);
    const ids =
      this.forms.ids === "int64"
        ? new ort.Tensor(
            "int64",
            BigInt64Array.from(flat, (v) => BigInt(v)),
            [tokenIds.length, seq],
          )
        : new ort.Tensor("int32", flat, [tokenIds.length, seq]);
    const out = await this.text.run({ input_ids: ids });
    return splitRows(readFloats(out.last_hidden_state, "last_hidden_state"), tokenIds.length);
  }

  async unet(rows: readonly GuidedRow[], h: number, w: number): Promise<Float32Array[]> {
    if (this.forms.timestep.rank === "batch") return this.runUnet(rows, h, w);
    // Scalar/[1] timestep graphs can only share a call between rows at the same timestep.
    const results = new Array<Float32Array>(rows.length);
    const groups = new Map<number, number[]>();
    rows.forEach((row, i) => {
      groups.set(row.timestep, [...(groups.get(row.timestep) ?? []), i]);
    });
    for (const indices of groups.values()) {
      const out = await this.runUnet(
        indices.map((i) => rows[i]!),
        h,
        w,
      );
      indices.forEach((rowIndex, k) => {
        results[rowIndex] = out[k]!;
      });
    }
    return results;
  }

  private timestepTensor(rows: readonly UnetRow[]): ort.Tensor {
    const { type, rank } = this.forms.timestep;
    const values = rank === "batch" ? rows.map((r) => r.timestep) : [rows[0]!.timestep];
    const dims = rank === "scalar" ? [] : [values.length];
    if (type === "int64") {
      // Truncated, as Optimum's pipelines (`np.array([t], dtype=int64)`) and diffusers' int casts
      // do: Euler-linspace's 946.42… runs as 946 there, so it does here (rounding gave 947).
      return new ort.Tensor(
        "int64",
        BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))),
        dims,
      );
    }
    return floatTensor(type, Float32Array.from(values), dims);
  }

  /**
   * One embedding row per UNet row, from the row's `guidance` (the request's guidance_scale; see
   * guidanceConditioning for how g ≤ 1 and rows without one are read).
   */
  private guidanceTensor(rows: readonly GuidedRow[]): Record<string, ort.Tensor> {
    const guidance = this.forms.guidance;
    if (!guidance) return {};
    const values = concatRows(
      rows.map((r) => guidanceConditioning(r.guidance, guidance.dim)),
      Float32Array,
    );
    return { timestep_cond: floatTensor(guidance.type, values, [rows.length, guidance.dim]) };
  }

  private async runUnet(rows: readonly GuidedRow[], h: number, w: number): Promise<Float32Array[]> {
    const b = rows.length;
    const { latentChannels: c, seqLen, hiddenSize } = this.model;
    const sample = concatRows(
      rows.map((r) => r.sample),
      Float32Array,
    );
    const context = concatRows(
      rows.map((r) => r.context),
      Float32Array,
    );
    const out = await this.unetSession.run({
      sample: floatTensor(this.forms.sample, sample, [b, c, h, w]),
      timestep: this.timestepTensor(rows),
      encoder_hidden_states: floatTensor(this.forms.context, context, [
        b,
        context.length / b / hiddenSize || seqLen,
        hiddenSize,
      ]),
      ...this.guidanceTensor(rows),
    });
    return splitRows(readFloats(out.out_sample, "out_sample"), b);
  }

  async decode(latents: readonly Float32Array[], h: number, w: number): Promise<Float32Array[]> {
    const b = latents.length;
    // Scaled into a buffer of its own: the rows are the callers' latents (concatRows may not copy).
    const joined = concatRows(latents, Float32Array);
    const inv = 1 / this.model.scalingFactor;
    const scaled = new Float32Array(joined.length);
    for (let i = 0; i < joined.length; i++) scaled[i] = joined[i]! * inv;
    const feeds = {
      latent_sample: floatTensor(this.forms.latent, scaled, [b, this.model.latentChannels, h, w]),
    };
    const pool = this.pixelPool;
    if (!pool) return splitRows(readFloats((await this.vae.run(feeds)).sample, "sample"), b);
    // Written in place into a pooled buffer (onnxruntime fills a preallocated output).
    const f = this.model.vaeScaleFactor;
    const dims = [b, 3, h * f, w * f];
    const pixels = pool.take(b * 3 * h * f * w * f);
    await this.vae.run(feeds, { sample: new ort.Tensor("float32", pixels, dims) });
    return pool.lend(pixels, b);
  }

  releasePixels(pixels: readonly Float32Array[]): void {
    this.pixelPool?.release(pixels);
  }

  async dispose(): Promise<void> {
    await Promise.all([
      this.textSession?.release(),
      this.unetSession.release(),
      this.vaeSession?.release(),
    ]);
  }
}
