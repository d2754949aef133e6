// The tiny model's latent basis, shared by its graph builders and the origin's live previews. No
// ONNX building here: the serving origin imports this without the generator's dev dependencies.
import { orthonormal } from "./prng";

export const LATENT_CHANNELS = 4;
/** Decoder gain: latent colour = atanh(display colour) / DECODER_GAIN. */
export const DECODER_GAIN = 1.5;

/** The latent basis: a fixed rotation of (r, g, b, shape), so no latent channel is plain RGB. */
export function latentRotation(): number[][] {
  return orthonormal(LATENT_CHANNELS, "latent.rotation");
}
