// One image's denoising state, and one step for a set of rows sharing a latent size: the batch unit.

import { guideRow } from "../diffusion/guidance";
import { stepNoise } from "../diffusion/noise";
import type { Scheduler } from "../diffusion/scheduler";
import type { DiffusionRuntime, UnetRow } from "./diffusion-runtime";

export interface DenoiseRow {
  readonly scheduler: Scheduler;
  readonly seed: number;
  /** last_hidden_state of the prompt, and of the negative prompt when guidance applies. */
  readonly cond: Float32Array;
  readonly uncond: Float32Array | null;
  readonly guidance: number;
  sample: Float32Array;
  /** Index of the next step to run; equal to scheduler.steps when finished. */
  step: number;
}

export function isFinished(row: DenoiseRow): boolean {
  return row.step >= row.scheduler.steps;
}

/**
 * Advances every row by one step with a single UNet call. Guided rows contribute two UNet rows,
 * laid out [all unconditional; all conditional] as classifier-free guidance batching expects.
 */
export async function advanceRows(
  runtime: DiffusionRuntime,
  rows: readonly DenoiseRow[],
  latentHeight: number,
  latentWidth: number,
): Promise<void> {
  const inputs = rows.map((r) => r.scheduler.scaleModelInput(r.sample, r.step));
  const timesteps = rows.map((r) => r.scheduler.timesteps[r.step]!);
  const guided = rows.flatMap((r, i) => (r.uncond ? [i] : []));
  const unetRows: UnetRow[] = [
    ...guided.map((i) => ({
      sample: inputs[i]!,
      timestep: timesteps[i]!,
      context: rows[i]!.uncond!,
      guidance: rows[i]!.guidance,
    })),
    ...rows.map((r, i) => ({
      sample: inputs[i]!,
      timestep: timesteps[i]!,
      context: r.cond,
      guidance: r.guidance,
    })),
  ];
  const out = await runtime.unet(unetRows, latentHeight, latentWidth);
  rows.forEach((row, i) => {
    const cond = out[guided.length + i]!;
    const u = guided.indexOf(i);
    const prediction = u < 0 ? cond : guideRow(out[u]!, cond, row.guidance);
    row.sample = row.scheduler.step(
      prediction,
      row.step,
      row.sample,
      stepNoise(row.seed, row.step),
    );
    row.step += 1;
  });
}
