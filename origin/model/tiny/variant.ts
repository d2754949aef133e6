// Which input dtypes/shapes the generated graphs declare, mirroring the variety of real exports.

export interface TinyVariant {
  inputIds: "int64" | "int32";
  /** float-batch: float [batch] (per-row steps); int64-1: int64 [1]; float-scalar: float []. */
  timestep: "float-batch" | "int64-1" | "float-scalar";
}

export const DEFAULT_VARIANT: TinyVariant = { inputIds: "int64", timestep: "float-batch" };
export const INPUT_ID_TYPES: readonly TinyVariant["inputIds"][] = ["int64", "int32"];
export const TIMESTEP_KINDS: readonly TinyVariant["timestep"][] = [
  "float-batch",
  "int64-1",
  "float-scalar",
];
