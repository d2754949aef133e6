// bench:overlap's device thread: the fast tier's steady state (one 4-row UNet call finishes two
// images, one 2-image VAE call decodes them) back to back, each image's pixels posted (transferred)
// to the main thread, which post-processes them meanwhile.
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";

const { modelDir, images, options, hiddenSize } = workerData;
const unet = await ort.InferenceSession.create(`${modelDir}/unet/model.onnx`, options);
const vae = await ort.InferenceSession.create(`${modelDir}/vae_decoder/model.onnx`, options);
const feeds = (rows) => ({
  sample: new ort.Tensor("float32", new Float32Array(rows * 4096).fill(0.5), [rows, 4, 32, 32]),
  timestep: new ort.Tensor("float32", new Float32Array(rows).fill(999), [rows]),
  encoder_hidden_states: new ort.Tensor(
    "float32",
    new Float32Array(rows * 77 * hiddenSize).fill(0.1),
    [rows, 77, hiddenSize],
  ),
});
const unetFeeds = feeds(4);
const latents = new ort.Tensor("float32", new Float32Array(2 * 4096).fill(0.1), [2, 4, 32, 32]);
await unet.run(unetFeeds);
await vae.run({ latent_sample: latents });
parentPort.postMessage("ready");
await new Promise((resolve) => parentPort.once("message", resolve));
const perImage = 3 * 256 * 256;
for (let sent = 0; sent < images; ) {
  await unet.run(unetFeeds);
  const pixels = (await vae.run({ latent_sample: latents })).sample.data;
  for (let k = 0; k < 2 && sent < images; k++, sent++) {
    const one = pixels.slice(k * perImage, (k + 1) * perImage);
    parentPort.postMessage(one, [one.buffer]);
  }
}
