// The few NumPy array routines diffusers' schedulers rely on, reproduced to the last rounding.

/** `np.round` semantics: halves go to the even neighbour (938 for 937.5, 812 for 812.5). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `np.linspace(start, stop, num, endpoint)`: `i * step + start`, last value pinned to `stop`. */
export function linspace(start: number, stop: number, num: number, endpoint = true): number[] {
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const values = Array.from({ length: num }, (_, i) => i * step + start);
  if (endpoint && num > 1) values[num - 1] = stop;
  return values;
}

/**
 * `np.arange(start, stop, step)` for floats. NumPy fills `start + i * delta` where `delta` is
 * re-derived as `(start + step) - start`, so the rounding of the second element propagates.
 */
export function arange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const delta = start + step - start;
  return Array.from({ length }, (_, i) => start + i * delta);
}

/** `np.interp(x, np.arange(table.length), table)`: clamps outside the table, linear inside. */
export function interpAtIndex(x: number, table: ArrayLike<number>): number {
  const last = table.length - 1;
  if (last < 0) throw new RangeError("interpAtIndex: empty table");
  if (x <= 0) return table[0] as number;
  if (x >= last) return table[last] as number;
  const low = Math.floor(x);
  const lowValue = table[low] as number;
  const slope = (table[low + 1] as number) - lowValue;
  return slope * (x - low) + lowValue;
}
