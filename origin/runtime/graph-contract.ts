// The input/output names each Optimum graph must declare, and the dtype/shape adaptations we support.
import { ModelLayoutError } from "./optimum-layout";
import type { TensorMeta } from "./ort-session";

export interface GraphContract {
  file: string;
  inputs: readonly string[];
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
  const extraIn = inNames.filter((n) => !contract.inputs.includes(n));
  const missingOut = contract.outputs.filter((n) => !outNames.includes(n));
  if (missingIn.length || extraIn.length || missingOut.length) {
    throw new ModelLayoutError(
      `${contract.file}: expected inputs [${contract.inputs.join(", ")}] and outputs including ` +
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
