// Which input dtypes/shapes the generated graphs declare, mirroring the variety of real exports.

export interface TinyVariant {
  inputIds: "int64" | "int32";
  /** float-batch: float [batch] (per-row steps); int64-1: int64 [1]; float-scalar: float []. */
  timestep: "float-batch" | "int64-1" | "float-scalar";
  /**
   * LCM-style: the UNet also takes `timestep_cond` [batch, 256], a guidance-scale embedding, and
   * unet/config.json sets time_cond_proj_dim, as Optimum exports SimianLuo/LCM_Dreamshaper_v7.
   * Absent (not false) in the default variant, whose bytes stay as they were.
   */
  timestepCond?: boolean | undefined;
}

/** time_cond_proj_dim of the LCM-style variant (LCM_Dreamshaper_v7's). */
export const TIME_COND_PROJ_DIM = 256;

export const DEFAULT_VARIANT: TinyVariant = { inputIds: "int64", timestep: "float-batch" };
export const INPUT_ID_TYPES: readonly TinyVariant["inputIds"][] = ["int64", "int32"];
export const TIMESTEP_KINDS: readonly TinyVariant["timestep"][] = [
  "float-batch",
  "int64-1",
  "float-scalar",
];
