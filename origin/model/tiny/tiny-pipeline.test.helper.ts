// Test support: a minimal SD loop (Euler, trailing spacing, no CFG) over the tiny model's real sessions.
import * as ort from "onnxruntime-node";
import { loadClipTokenizer } from "../../tokenizer/clip-tokenizer";
import { sigmaAt } from "./noise-schedule";
import { WeightStream } from "./prng";
import { SCALING_FACTOR, VAE_SCALE_FACTOR } from "./vae-decoder-graph";

export interface TinySessions {
  textEncoder: ort.InferenceSession;
  unet: ort.InferenceSession;
  vaeDecoder: ort.InferenceSession;
  encode(prompt: string): Promise<ort.Tensor>;
}

export async function openTinySessions(dir: string): Promise<TinySessions> {
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
  };
  const [textEncoder, unet, vaeDecoder] = await Promise.all(
    ["text_encoder", "unet", "vae_decoder"].map((c) =>
      ort.InferenceSession.create(`${dir}/${c}/model.onnx`, options),
    ),
  );
  const tokenizer = await loadClipTokenizer(`${dir}/tokenizer`);
  const encode = async (prompt: string) => {
    const ids = BigInt64Array.from(tokenizer.encode(prompt), (v) => BigInt(v));
    const out = await textEncoder!.run({
      input_ids: new ort.Tensor("int64", ids, [1, ids.length]),
    });
    return out.last_hidden_state as ort.Tensor;
  };
  return { textEncoder: textEncoder!, unet: unet!, vaeDecoder: vaeDecoder!, encode };
}

export function trailingTimesteps(steps: number): number[] {
  return Array.from({ length: steps }, (_, i) => Math.round(1000 - (i * 1000) / steps) - 1);
}

/** Renders [3, 8h, 8w] in [-1, 1] for a prompt and seed (float-batch timestep variant). */
export async function renderTiny(
  sessions: TinySessions,
  prompt: string,
  seed: number,
  steps = 2,
  latentSize = 32,
): Promise<Float32Array> {
  const ehs = await sessions.encode(prompt);
  const shape = [1, 4, latentSize, latentSize];
  const timesteps = trailingTimesteps(steps);
  const sigmas = [...timesteps.map(sigmaAt), 0];
  const noise = new WeightStream(`seed:${seed}`).normals(4 * latentSize * latentSize);
  let x = noise.map((v) => v * Math.sqrt(sigmas[0]! ** 2 + 1));
  for (let i = 0; i < steps; i++) {
    const sigma = sigmas[i]!;
    const scaled = x.map((v) => v / Math.sqrt(sigma * sigma + 1));
    const out = await sessions.unet.run({
      sample: new ort.Tensor("float32", scaled, shape),
      timestep: new ort.Tensor("float32", Float32Array.of(timesteps[i]!), [1]),
      encoder_hidden_states: ehs,
    });
    const eps = out.out_sample!.data as Float32Array;
    x = x.map((v, j) => v + (sigmas[i + 1]! - sigma) * eps[j]!);
  }
  const latents = new ort.Tensor(
    "float32",
    x.map((v) => v / SCALING_FACTOR),
    shape,
  );
  const decoded = await sessions.vaeDecoder.run({ latent_sample: latents });
  const image = decoded.sample!;
  if (image.dims[2] !== latentSize * VAE_SCALE_FACTOR) throw new Error("unexpected decoder size");
  return image.data as Float32Array;
}

/** Mean of each RGB plane. */
export function channelMeans(image: Float32Array): [number, number, number] {
  const plane = image.length / 3;
  const mean = (c: number) =>
    image.subarray(c * plane, (c + 1) * plane).reduce((a, b) => a + b, 0) / plane;
  return [mean(0), mean(1), mean(2)];
}
