// bench:overlap's graph calls: the fast tier's steady state at 256², synthetic inputs. One 4-row
// UNet call finishes two images (rows at steps 0 and 1), one 2-image VAE call decodes them.
import * as ort from "onnxruntime-node";

export const PIXELS_PER_IMAGE = 3 * 256 * 256;

/** Opens the UNet and VAE; `step` runs one round of calls and returns two images' pixels. */
export async function openFastTierGraphs(
  modelDir: string,
  options: ort.InferenceSession.SessionOptions,
): Promise<{ step: () => Promise<Float32Array> }> {
  const unet = await ort.InferenceSession.create(`${modelDir}/unet/model.onnx`, options);
  const vae = await ort.InferenceSession.create(`${modelDir}/vae_decoder/model.onnx`, options);
  const context = unet.inputMetadata.find((m) => m.name === "encoder_hidden_states");
  const hiddenSize = Number((context?.isTensor && context.shape[2]) || 64);
  const rows = 4;
  const unetFeeds = {
    sample: new ort.Tensor("float32", new Float32Array(rows * 4096).fill(0.5), [rows, 4, 32, 32]),
    timestep: new ort.Tensor("float32", new Float32Array(rows).fill(999), [rows]),
    encoder_hidden_states: new ort.Tensor(
      "float32",
      new Float32Array(rows * 77 * hiddenSize).fill(0.1),
      [rows, 77, hiddenSize],
    ),
  };
  const latents = new ort.Tensor("float32", new Float32Array(2 * 4096).fill(0.1), [2, 4, 32, 32]);
  return {
    async step() {
      await unet.run(unetFeeds);
      return (await vae.run({ latent_sample: latents })).sample!.data as Float32Array;
    },
  };
}
