// Picks a model's latent→RGB preview projection: its darkroom_preview.json, the tiny model's, or SD's.
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { DECODER_GAIN, latentRotation } from "../model/tiny/latent-basis";
import { type LatentProjection, SD_LATENT_PROJECTION } from "./latent-preview";

export const PREVIEW_FILE = "darkroom_preview.json";

/** An export's own factors: `matrix` rows are R, G, B, one weight per latent channel. */
const PreviewFileSchema = z.strictObject({
  matrix: z.array(z.array(z.number())).length(3),
  bias: z.tuple([z.number(), z.number(), z.number()]).default([0, 0, 0]),
  squash: z.enum(["clamp", "tanh"]).default("clamp"),
});

/**
 * The tiny model's decoder is exactly linear before its tanh, up to smoothing that keeps flat
 * regions flat: rgb = tanh(G · Rᵀ · z) with R the latent rotation (latent = R · (r, g, b, shape)),
 * G = DECODER_GAIN on the colour channels, and the shape channel adding 0.25 luminance to each.
 */
export function tinyLatentProjection(): LatentProjection {
  const r = latentRotation();
  const shapeToLuminance = 0.25;
  const matrix = [0, 1, 2].map((c) =>
    r.map((latentRow) => DECODER_GAIN * latentRow[c]! + shapeToLuminance * latentRow[3]!),
  );
  return { matrix, bias: [0, 0, 0], squash: "tanh", source: "tiny model rotation" };
}

async function readJson(path: string): Promise<unknown | null> {
  const found = await access(path).then(
    () => true,
    () => false,
  );
  return found ? JSON.parse(await readFile(path, "utf8")) : null;
}

/**
 * The projection for the model in `modelDir`, or null when none is known (progress events then
 * carry no previews). An explicit darkroom_preview.json wins over the built-in choices.
 */
export async function loadPreviewProjection(
  modelDir: string,
  latentChannels: number,
): Promise<LatentProjection | null> {
  const file = await readJson(join(modelDir, PREVIEW_FILE));
  if (file !== null) {
    const parsed = PreviewFileSchema.parse(file);
    if (parsed.matrix.some((row) => row.length !== latentChannels)) {
      throw new Error(`${PREVIEW_FILE}: each matrix row needs ${latentChannels} weights`);
    }
    return { ...parsed, bias: parsed.bias, source: PREVIEW_FILE };
  }
  const index = (await readJson(join(modelDir, "model_index.json"))) as Record<
    string,
    unknown
  > | null;
  if (!index) return null;
  if ("_darkroom_tiny" in index) return tinyLatentProjection();
  const className = String(index._class_name ?? "");
  // SD 1.x, 2.x, Turbo and LCM share the KL-f8 VAE the approximate factors were fitted on; SDXL does not.
  const sdFamily = /StableDiffusion|LatentConsistency/.test(className) && !/XL/.test(className);
  if (sdFamily && latentChannels === 4) {
    return SD_LATENT_PROJECTION;
  }
  return null;
}
