// Messages between WorkerDiffusionRuntime (main thread) and onnx-worker.ts (the thread that runs the graphs).
import type { ModelInfo, UnetRow } from "../engine/diffusion-runtime";

export type RuntimeRequest =
  | { method: "encodeText"; tokenIds: Int32Array[] }
  | { method: "unet"; rows: UnetRow[]; h: number; w: number }
  | { method: "decode"; latents: Float32Array[]; h: number; w: number }
  | { method: "dispose" };

export type RuntimeCall = RuntimeRequest & { id: number };

export type RuntimeReply =
  | { kind: "ready"; model: ModelInfo }
  | { kind: "failed"; name: string; message: string }
  | { kind: "result"; id: number; value: Float32Array[] }
  | { kind: "error"; id: number; name: string; message: string };
