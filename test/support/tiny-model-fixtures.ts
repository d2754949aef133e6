// Tiny-model variants written to temporary folders for origin tests, and helpers to compare their outputs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DiffusionPipeline } from "../../origin/engine/pipeline";
import { writeTinyModel } from "../../origin/model/tiny";
import { loadTinyPipeline } from "./origin-fixtures";

export type TinyVariant = Parameters<typeof writeTinyModel>[1];

/** The LCM-style export: a UNet with `timestep_cond` (time_cond_proj_dim 256). */
export const LCM_VARIANT: TinyVariant = {
  inputIds: "int64",
  timestep: "float-batch",
  timestepCond: true,
};

/** Temporary model folders for one test file: `write` each, `removeAll` in afterAll. */
export function tempModels(prefix = "darkroom-model-") {
  const dirs: string[] = [];
  return {
    async write(variant?: TinyVariant): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      await writeTinyModel(dir, variant);
      return dir;
    },
    async removeAll(): Promise<void> {
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** The LCM-style tiny pipeline with each UNet call's row count recorded; `close` disposes it. */
export async function lcmPipelineCountingRows(): Promise<{
  pipeline: DiffusionPipeline;
  rowsPerCall: number[];
  close: () => Promise<void>;
}> {
  const models = tempModels("darkroom-lcm-");
  const pipeline = await loadTinyPipeline(await models.write(LCM_VARIANT));
  const rowsPerCall: number[] = [];
  const unet = pipeline.runtime.unet.bind(pipeline.runtime);
  pipeline.runtime.unet = (rows, h, w) => {
    rowsPerCall.push(rows.length);
    return unet(rows, h, w);
  };
  const close = async () => {
    await pipeline.runtime.dispose();
    await models.removeAll();
  };
  return { pipeline, rowsPerCall, close };
}
