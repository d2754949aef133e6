// Argument checks and small array helpers shared by the samplers' step functions.
import type { Scheduler, StepNoise } from "./scheduler";

/** Throws unless `step` indexes this run and the arrays describe the same row. */
export function checkStepArgs(
  scheduler: Pick<Scheduler, "name" | "steps">,
  step: number,
  sample: Float32Array,
  modelOutput?: Float32Array,
): void {
  if (!Number.isInteger(step) || step < 0 || step >= scheduler.steps) {
    throw new RangeError(`${scheduler.name}: step ${step} outside 0..${scheduler.steps - 1}`);
  }
  if (modelOutput && modelOutput.length !== sample.length) {
    throw new RangeError(
      `${scheduler.name}: model output has ${modelOutput.length} values, sample ${sample.length}`,
    );
  }
}

/** Draws step noise and checks the generator honoured the length. */
export function drawNoise(noise: StepNoise, length: number): Float32Array {
  const values = noise(length);
  if (values.length !== length) {
    throw new RangeError(`step noise returned ${values.length} values, expected ${length}`);
  }
  return values;
}

/** Multiplies every element by `factor` into a new array (used by scaleModelInput). */
export function scaled(sample: Float32Array, factor: number): Float32Array {
  return sample.map((x) => x * factor);
}
