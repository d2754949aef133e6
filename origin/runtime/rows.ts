// Packing per-row arrays into one batch tensor buffer and splitting a batch result back into rows.
type TypedArrayCtor<T> = { new (length: number): T };

export function concatRows<T extends Float32Array | Int32Array>(
  rows: readonly T[],
  ctor: TypedArrayCtor<T>,
): T {
  const total = rows.reduce((sum, r) => sum + r.length, 0);
  const out = new ctor(total);
  let offset = 0;
  for (const row of rows) {
    out.set(row, offset);
    offset += row.length;
  }
  return out;
}

/** Copies (not views) so a row outlives the session's output buffer. */
export function splitRows(flat: Float32Array, count: number): Float32Array[] {
  const size = flat.length / count;
  return Array.from({ length: count }, (_, i) => flat.slice(i * size, (i + 1) * size));
}
