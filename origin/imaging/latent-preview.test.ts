import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTinyPipeline, TINY_MODEL_DIR } from "../../test/support/origin-fixtures";
import type { DiffusionPipeline } from "../engine/pipeline";
import { DECODER_GAIN, latentRotation } from "../model/tiny/latent-basis";
import { encodePreview, projectLatent, SD_LATENT_PROJECTION } from "./latent-preview";
import { loadPreviewProjection, tinyLatentProjection } from "./preview-projection";

/** A flat h×w latent whose every cell is `cell` (C values), planar. */
function flatLatent(cell: readonly number[], h: number, w: number): Float32Array {
  const cells = h * w;
  const out = new Float32Array(cell.length * cells);
  cell.forEach((v, k) => {
    out.fill(v, k * cells, (k + 1) * cells);
  });
  return out;
}

/** The tiny model's latent for a display colour: latent = R · (atanh(colour) / gain, shape). */
function tinyLatentOf(display: [number, number, number], shape = 0): number[] {
  const features = [...display.map((v) => Math.atanh(v) / DECODER_GAIN), shape];
  return latentRotation().map((row) => row.reduce((s, r, i) => s + r * features[i]!, 0));
}

function pixel(rgb: Uint8Array, index: number): [number, number, number] {
  return [rgb[index * 3]!, rgb[index * 3 + 1]!, rgb[index * 3 + 2]!];
}

describe("tiny model projection", () => {
  it("previews a latent made from a pure red x0 as red", () => {
    const latent = flatLatent(tinyLatentOf([0.9, -0.9, -0.9]), 4, 4);
    const [r, g, b] = pixel(projectLatent(latent, 4, 4, tinyLatentProjection()), 5);
    expect(r).toBeGreaterThan(230);
    expect(g).toBeLessThan(25);
    expect(b).toBeLessThan(25);
  });

  it("keeps each cell's own colour (planar in, interleaved out)", () => {
    const red = tinyLatentOf([0.9, -0.9, -0.9]);
    const blue = tinyLatentOf([-0.9, -0.9, 0.9]);
    const latent = new Float32Array(8);
    for (let k = 0; k < 4; k++) latent.set([red[k]!, blue[k]!], k * 2);
    const rgb = projectLatent(latent, 1, 2, tinyLatentProjection());
    expect(pixel(rgb, 0)[0]).toBeGreaterThan(pixel(rgb, 0)[2]);
    expect(pixel(rgb, 1)[2]).toBeGreaterThan(pixel(rgb, 1)[0]);
  });

  describe("against the real VAE decoder", () => {
    let pipeline: DiffusionPipeline;
    beforeAll(async () => {
      pipeline = await loadTinyPipeline();
    });

    it.each([
      [[0.6, -0.2, 0.1], 0],
      [[-0.5, 0.7, -0.3], 0.5],
      [[0.1, 0.2, -0.8], -0.8],
    ] as const)(
      "matches the decoded colour of flat latent %j (shape %d)",
      async (colour, shape) => {
        const cell = tinyLatentOf([...colour], shape);
        const [decoded] = await pipeline.runtime.decode([flatLatent(cell, 8, 8)], 8, 8);
        const plane = 64 * 64;
        const centre = 32 * 64 + 32;
        const projected = pixel(
          projectLatent(flatLatent(cell, 1, 1), 1, 1, tinyLatentProjection()),
          0,
        );
        for (let c = 0; c < 3; c++) {
          const fromVae = (decoded![c * plane + centre]! + 1) * 127.5;
          expect(Math.abs(projected[c]! - fromVae)).toBeLessThan(6);
        }
      },
    );
  });
});

describe("SD approximate projection", () => {
  it("maps a zero latent to mid grey and a negative 4th channel towards blue", () => {
    const grey = pixel(
      projectLatent(flatLatent([0, 0, 0, 0], 1, 1), 1, 1, SD_LATENT_PROJECTION),
      0,
    );
    expect(grey).toEqual([128, 128, 128]);
    const [r, g, b] = pixel(
      projectLatent(flatLatent([0, 0, 0, -1], 1, 1), 1, 1, SD_LATENT_PROJECTION),
      0,
    );
    expect(b).toBeGreaterThan(200);
    expect(b).toBeGreaterThan(r + 40);
    expect(b).toBeGreaterThan(g + 40);
  });

  it("rejects a latent of the wrong size", () => {
    expect(() => projectLatent(new Float32Array(10), 2, 2, SD_LATENT_PROJECTION)).toThrow();
  });
});

describe("encodePreview", () => {
  it.each(["webp", "jpeg"] as const)("encodes %s at twice the latent size", async (format) => {
    const rgb = projectLatent(
      flatLatent([0.3, 0.1, -0.2, 0.4], 32, 24),
      32,
      24,
      SD_LATENT_PROJECTION,
    );
    const preview = await encodePreview(rgb, 32, 24, { format, scale: 2 });
    const meta = await sharp(Buffer.from(preview.b64, "base64")).metadata();
    expect(meta.format).toBe(format);
    expect([meta.width, meta.height]).toEqual([48, 64]);
    expect([preview.width, preview.height]).toEqual([48, 64]);
  });
});

describe("loadPreviewProjection", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "darkroom-preview-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("recognises the tiny model", async () => {
    const projection = await loadPreviewProjection(TINY_MODEL_DIR, 4);
    expect(projection?.squash).toBe("tanh");
    expect(projection?.matrix).toEqual(tinyLatentProjection().matrix);
  });

  it("uses SD factors for an SD export, none for an unknown pipeline, and a preview file first", async () => {
    const index = join(dir, "model_index.json");
    await writeFile(index, JSON.stringify({ _class_name: "ORTStableDiffusionPipeline" }));
    expect(await loadPreviewProjection(dir, 4)).toBe(SD_LATENT_PROJECTION);
    await writeFile(index, JSON.stringify({ _class_name: "ORTStableDiffusionXLPipeline" }));
    expect(await loadPreviewProjection(dir, 4)).toBeNull();
    const matrix = [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
    ];
    await writeFile(join(dir, "darkroom_preview.json"), JSON.stringify({ matrix }));
    expect(await loadPreviewProjection(dir, 4)).toMatchObject({ matrix, squash: "clamp" });
    await expect(loadPreviewProjection(dir, 16)).rejects.toThrow(/16 weights/);
  });
});
