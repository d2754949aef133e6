// Packing per-row arrays into one batch tensor buffer and splitting a batch result back into rows.
type TypedArrayCtor<T> = { new (length: number): T };

/** One row is returned as is (no copy): callers treat the result as read-only input to a graph. */
export function concatRows<T extends Float32Array | Int32Array>(
  rows: readonly T[],
  ctor: TypedArrayCtor<T>,
): T {
  if (rows.length === 1) return rows[0]!;
  const total = rows.reduce((sum, r) => sum + r.length, 0);
  const out = new ctor(total);
  let offset = 0;
  for (const row of rows) {
    out.set(row, offset);
    offset += row.length;
  }
  return out;
}

/**
 * Views, not copies: onnxruntime-node hands each output over in a JS-owned buffer of its own (never
 * reused by a later run), so a row may keep pointing into it; it lives as long as any row does.
 */
export function splitRows(flat: Float32Array, count: number): Float32Array[] {
  if (count === 1) return [flat];
  const size = flat.length / count;
  return Array.from({ length: count }, (_, i) => flat.subarray(i * size, (i + 1) * size));
}
