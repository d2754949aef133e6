// Shared fixtures for origin tests: a valid protocol request and a loaded tiny-model pipeline.
import { resolve } from "node:path";
import type { DiffusionPipeline } from "../../origin/engine/pipeline";
import { loadPipeline } from "../../origin/load-pipeline";
import { ensureTinyModel } from "../../origin/model/tiny";
import type { GenerateRequestInput } from "../../protocol/generate";

export const TINY_MODEL_DIR = resolve("models/tiny-sd");

let counter = 0;

export function validRequest(overrides: Partial<GenerateRequestInput> = {}): GenerateRequestInput {
  counter += 1;
  return {
    request_id: `req-${process.pid}-${Date.now()}-${counter}`,
    tenant_id: "tenant-a",
    tier: "fast",
    model: "default",
    prompt: "a red circle",
    negative_prompt: "",
    n: 1,
    width: 256,
    height: 256,
    steps: 2,
    guidance_scale: 0,
    seed: 7,
    scheduler: "euler",
    output_format: "png",
    deadline_ms: 30_000,
    priority: 5,
    ...overrides,
  };
}

export async function loadTinyPipeline(dir = TINY_MODEL_DIR): Promise<DiffusionPipeline> {
  await ensureTinyModel(dir);
  return loadPipeline({
    modelDir: dir,
    modelId: "tiny-sd",
    providers: ["cpu"],
    intraOpThreads: 1,
    interOpThreads: 1,
    cudaDevice: 0,
  });
}
