// The input/output names each Optimum graph must declare, and the dtype/shape adaptations we support.
import { ModelLayoutError } from "./optimum-layout";
import type { TensorMeta } from "./ort-session";

export interface GraphContract {
  file: string;
  inputs: readonly string[];
  /** Inputs some exports add and the runtime feeds when present. */
  optionalInputs?: readonly string[];
  outputs: readonly string[];
}

export const TEXT_ENCODER: GraphContract = {
  file: "text_encoder/model.onnx",
  inputs: ["input_ids"],
  outputs: ["last_hidden_state"],
};
export const UNET: GraphContract = {
  file: "unet/model.onnx",
  inputs: ["sample", "timestep", "encoder_hidden_states"],
  // Optimum adds it when unet/config.json sets time_cond_proj_dim (LCM: a guidance-scale embedding).
  optionalInputs: ["timestep_cond"],
  outputs: ["out_sample"],
};
export const VAE_DECODER: GraphContract = {
  file: "vae_decoder/model.onnx",
  inputs: ["latent_sample"],
  outputs: ["sample"],
};

/** Fails naming the file, the expected names and what the graph actually declares. */
export function checkContract(
  contract: GraphContract,
  inputs: readonly TensorMeta[],
  outputs: readonly TensorMeta[],
): void {
  const inNames = inputs.map((i) => i.name);
  const outNames = outputs.map((o) => o.name);
  const missingIn = contract.inputs.filter((n) => !inNames.includes(n));
  const known = [...contract.inputs, ...(contract.optionalInputs ?? [])];
  const extraIn = inNames.filter((n) => !known.includes(n));
  const missingOut = contract.outputs.filter((n) => !outNames.includes(n));
  if (missingIn.length || extraIn.length || missingOut.length) {
    const optional = contract.optionalInputs?.length
      ? ` (optionally ${contract.optionalInputs.join(", ")})`
      : "";
    throw new ModelLayoutError(
      `${contract.file}: expected inputs [${contract.inputs.join(", ")}]${optional} and outputs including ` +
        `[${contract.outputs.join(", ")}], found inputs [${inNames.join(", ")}] and outputs ` +
        `[${outNames.join(", ")}]. darkroom runs Stable Diffusion 1.x/2.x/Turbo/LCM exports (not SDXL).`,
    );
  }
}

export type FloatType = "float32" | "float16";

export interface TimestepForm {
  type: "float32" | "float16" | "int64";
  /** "scalar" = shape [], "one" = [1] shared by the batch, "batch" = one per row. */
  rank: "scalar" | "one" | "batch";
}

function meta(list: readonly TensorMeta[], name: string): TensorMeta {
  const found = list.find((m) => m.name === name);
  if (!found) throw new ModelLayoutError(`input ${name} missing`);
  return found;
}

export function idsType(inputs: readonly TensorMeta[]): "int32" | "int64" {
  const t = meta(inputs, "input_ids").type;
  if (t === "int32" || t === "int64") return t;
  throw new ModelLayoutError(`text_encoder/model.onnx: input_ids must be int32 or int64, not ${t}`);
}

export function floatType(inputs: readonly TensorMeta[], name: string, file: string): FloatType {
  const t = meta(inputs, name).type;
  if (t === "float32" || t === "float16") return t;
  throw new ModelLayoutError(`${file}: ${name} must be float32 or float16, not ${t}`);
}

export function timestepForm(inputs: readonly TensorMeta[]): TimestepForm {
  const m = meta(inputs, "timestep");
  if (m.type !== "float32" && m.type !== "float16" && m.type !== "int64") {
    throw new ModelLayoutError(`unet/model.onnx: timestep must be float or int64, not ${m.type}`);
  }
  if (m.shape.length === 0) return { type: m.type, rank: "scalar" };
  if (m.shape.length === 1) return { type: m.type, rank: m.shape[0] === 1 ? "one" : "batch" };
  throw new ModelLayoutError(`unet/model.onnx: timestep must be a scalar or 1-D, got [${m.shape}]`);
}

/** Axis `axis` of tensor `name` where the graph fixes it (a number), else null (dynamic or absent). */
export function fixedDim(list: readonly TensorMeta[], name: string, axis: number): number | null {
  const size = list.find((m) => m.name === name)?.shape[axis];
  return typeof size === "number" && size > 0 ? size : null;
}

export interface TimestepCondForm {
  type: FloatType;
  /** The width the graph declares, when it fixes one. */
  dim: number | null;
}

/** The UNet's optional `timestep_cond` [B, dim] input (LCM), or null when the graph has none. */
export function timestepCondForm(inputs: readonly TensorMeta[]): TimestepCondForm | null {
  const m = inputs.find((i) => i.name === "timestep_cond");
  if (!m) return null;
  if (m.shape.length !== 2) {
    throw new ModelLayoutError(
      `${UNET.file}: timestep_cond must be [batch, time_cond_proj_dim], got [${m.shape}]`,
    );
  }
  return { type: floatType(inputs, "timestep_cond", UNET.file), dim: fixedDim(inputs, m.name, 1) };
}
