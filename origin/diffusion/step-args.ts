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
  const out = new Float32Array(sample.length);
  for (let i = 0; i < sample.length; i++) out[i] = sample[i]! * factor;
  return out;
}

/**
 * `f` over every element into a new array: what Float32Array#map does, several times faster in V8
 * (the builtin's per-element callback is never inlined).
 */
export function elementwise(
  sample: Float32Array,
  f: (x: number, i: number) => number,
): Float32Array {
  const out = new Float32Array(sample.length);
  for (let i = 0; i < sample.length; i++) out[i] = f(sample[i]!, i);
  return out;
}
