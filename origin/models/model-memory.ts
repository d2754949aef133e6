// A loaded model's memory, estimated from its files before loading, for the model pool's budget.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/**
 * Resident bytes ≈ graph and weight files × 1.5: the weights once (ORT's CPU arena, or device
 * memory under CUDA), plus about half again for the activation arena at SD sizes, pre-packed
 * (re-laid-out) weights and kernel scratch. A planning figure, not a measurement: on the tiny model
 * ORT's fixed overhead dominates, so leave headroom in DARKROOM_MODEL_MEMORY_MB.
 */
export const MEMORY_FACTOR = 1.5;

/** Graphs and their external data: `.onnx`, `.onnx_data`, and older Optimum's `weights.pb`. */
const WEIGHT_FILE = /\.(onnx|onnx_data|pb)$/;

export async function estimateModelBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile() && WEIGHT_FILE.test(e.name))
      .map(async (e) => (await stat(join(e.parentPath, e.name))).size),
  );
  const bytes = sizes.reduce((sum, size) => sum + size, 0);
  return Math.max(1, Math.ceil(bytes * MEMORY_FACTOR));
}
