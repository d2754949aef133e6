// The pure onnxruntime cost of one request: exactly its graph calls, in a tight loop, same inputs.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import type { DiffusionRuntime } from "../../origin/engine/diffusion-runtime";
import { type SessionSettings, sessionOptions } from "../../origin/runtime/ort-session";

export interface PureCase {
  width: number;
  height: number;
  steps: number;
  /** Rows per UNet call: 2 when classifier-free guidance applies. */
  rows: number;
}

type Sessions = Record<"text" | "unet" | "vae", ort.InferenceSession>;

/** The origin's own session options (threads, spinning, optimization level), on the plain graphs. */
export async function openSessions(modelDir: string, settings: SessionSettings): Promise<Sessions> {
  const options = sessionOptions(settings, ["cpu"]);
  const open = (file: string) => ort.InferenceSession.create(join(modelDir, file), options);
  return {
    text: await open("text_encoder/model.onnx"),
    unet: await open("unet/model.onnx"),
    vae: await open("vae_decoder/model.onnx"),
  };
}

function typeOf(session: ort.InferenceSession, name: string): string {
  const m = session.inputMetadata.find((x) => x.name === name);
  return m?.isTensor ? m.type : "float32";
}

function timestepTensor(session: ort.InferenceSession, rows: number): ort.Tensor {
  const m = session.inputMetadata.find((x) => x.name === "timestep");
  const shape = m?.isTensor ? m.shape : [rows];
  const dims = shape.length === 0 ? [] : shape[0] === 1 ? [1] : [rows];
  const count = dims.length === 0 ? 1 : dims[0]!;
  return typeOf(session, "timestep") === "int64"
    ? new ort.Tensor("int64", new BigInt64Array(count).fill(999n), dims)
    : new ort.Tensor("float32", new Float32Array(count).fill(999), dims);
}

/** Milliseconds each graph took in one pure run (UNet summed over the steps). */
export interface PureStages {
  text_ms: number;
  unet_ms: number;
  vae_ms: number;
}

/** Builds the feeds once, then returns a closure that runs one request's graph calls. */
export async function pureRequest(s: Sessions, c: PureCase): Promise<() => Promise<PureStages>> {
  const ids =
    typeOf(s.text, "input_ids") === "int64"
      ? new ort.Tensor("int64", new BigInt64Array(c.rows * 77).fill(1n), [c.rows, 77])
      : new ort.Tensor("int32", new Int32Array(c.rows * 77).fill(1), [c.rows, 77]);
  const hidden = (await s.text.run({ input_ids: ids })).last_hidden_state!;
  const h = c.height / 8;
  const w = c.width / 8;
  const sample = new ort.Tensor("float32", new Float32Array(c.rows * 4 * h * w).fill(0.5), [
    c.rows,
    4,
    h,
    w,
  ]);
  const timestep = timestepTensor(s.unet, c.rows);
  const latent = new ort.Tensor("float32", new Float32Array(4 * h * w).fill(0.1), [1, 4, h, w]);
  // The decoder writes into one reused buffer, the call the origin makes with its pixel pool, so
  // both sides time the same call (a fresh 0.75 MiB output at 256² adds first-touch page faults).
  const out = s.vae.outputMetadata.find((m) => m.name === "sample");
  const dims = [1, 3, c.height, c.width];
  const pixels =
    out?.isTensor && out.type === "float32"
      ? { sample: new ort.Tensor("float32", new Float32Array(3 * c.height * c.width), dims) }
      : undefined;
  return async () => {
    const t0 = performance.now();
    await s.text.run({ input_ids: ids });
    const t1 = performance.now();
    for (let i = 0; i < c.steps; i++) {
      await s.unet.run({ sample, timestep, encoder_hidden_states: hidden });
    }
    const t2 = performance.now();
    await (pixels
      ? s.vae.run({ latent_sample: latent }, pixels)
      : s.vae.run({ latent_sample: latent }));
    return { text_ms: t1 - t0, unet_ms: t2 - t1, vae_ms: performance.now() - t2 };
  };
}

/**
 * The same graph calls through a DiffusionRuntime instead of raw sessions: with the origin's
 * SplitUnetRuntime, a pure loop that splits UNet calls as the origin does.
 */
export async function pureRuntimeRequest(
  runtime: DiffusionRuntime,
  c: PureCase,
): Promise<() => Promise<PureStages>> {
  const m = runtime.model;
  const ids = Array.from({ length: c.rows }, () => new Int32Array(m.seqLen).fill(1));
  const contexts = await runtime.encodeText(ids);
  const h = c.height / m.vaeScaleFactor;
  const w = c.width / m.vaeScaleFactor;
  const rows = contexts.map((context) => ({
    sample: new Float32Array(m.latentChannels * h * w).fill(0.5),
    timestep: 999,
    context,
  }));
  const latent = new Float32Array(m.latentChannels * h * w).fill(0.1);
  return async () => {
    const t0 = performance.now();
    await runtime.encodeText(ids);
    const t1 = performance.now();
    for (let i = 0; i < c.steps; i++) await runtime.unet(rows, h, w);
    const t2 = performance.now();
    runtime.releasePixels?.(await runtime.decode([latent], h, w));
    return { text_ms: t1 - t0, unet_ms: t2 - t1, vae_ms: performance.now() - t2 };
  };
}
