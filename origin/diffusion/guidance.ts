// Classifier-free guidance: uncond + g·(cond − uncond), per image row, for batches that mix guided rows.

/**
 * Whether a row needs an unconditional pass at all: diffusers runs CFG only for g > 1
 * (g = 1 equals the conditional output; fast-tier g = 0 means "no guidance", not "uncond only").
 * A model that takes guidance as an input (LCM's `timestep_cond`, guidance-embedding.ts) never
 * does: diffusers' LatentConsistencyModelPipeline runs one conditional pass at any g.
 */
export function usesGuidance(scale: number, embedsGuidance = false): boolean {
  return !embedsGuidance && scale > 1;
}

/** The `row`-th slice of length `rowLength` of a batch tensor, as a view (no copy). */
export function rowView(batch: Float32Array, row: number, rowLength: number): Float32Array {
  const start = row * rowLength;
  if (!Number.isInteger(row) || row < 0 || start + rowLength > batch.length) {
    throw new RangeError(`row ${row} of length ${rowLength} outside a batch of ${batch.length}`);
  }
  return batch.subarray(start, start + rowLength);
}

/** uncond + scale·(cond − uncond) for one row; writes into `out` (may alias either input). */
export function guideRow(
  uncond: Float32Array,
  cond: Float32Array,
  scale: number,
  out: Float32Array = new Float32Array(cond.length),
): Float32Array {
  if (uncond.length !== cond.length || out.length !== cond.length) {
    throw new RangeError("guideRow: uncond, cond and out must have the same length");
  }
  for (let i = 0; i < cond.length; i++) {
    const u = uncond[i] as number;
    out[i] = u + scale * ((cond[i] as number) - u);
  }
  return out;
}

/**
 * Combines a unet output laid out as [uncond rows; cond rows] (2·rows rows) into `rows` guided
 * rows. `scale` is one value for all rows or one per row.
 */
export function combineGuidance(
  output: Float32Array,
  rows: number,
  scale: number | readonly number[],
): Float32Array {
  if (!Number.isInteger(rows) || rows < 1 || output.length % (2 * rows) !== 0) {
    throw new RangeError(
      `combineGuidance: ${output.length} values do not split into 2×${rows} rows`,
    );
  }
  if (typeof scale !== "number" && scale.length !== rows) {
    throw new RangeError(`combineGuidance: ${scale.length} scales for ${rows} rows`);
  }
  const rowLength = output.length / (2 * rows);
  const guided = new Float32Array(rows * rowLength);
  for (let row = 0; row < rows; row++) {
    const g = typeof scale === "number" ? scale : (scale[row] as number);
    guideRow(
      rowView(output, row, rowLength),
      rowView(output, rows + row, rowLength),
      g,
      rowView(guided, row, rowLength),
    );
  }
  return guided;
}
