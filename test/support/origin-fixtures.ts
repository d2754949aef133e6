// Shared fixtures for origin tests: a valid protocol request, a loaded tiny-model pipeline, the app in-process.
import { resolve } from "node:path";
import type { DiffusionPipeline } from "../../origin/engine/pipeline";
import type { LatentProjection } from "../../origin/imaging/latent-preview";
import { loadPipeline } from "../../origin/load-pipeline";
import { ensureTinyModel } from "../../origin/model/tiny";
import { ContinuousBatcher } from "../../origin/scheduler/continuous-batcher";
import { createOriginApp, type OriginAppDeps } from "../../origin/server/app";
import { createOriginMetrics } from "../../origin/server/metrics";
import { OriginState } from "../../origin/server/origin-state";
import { ReplayGuard } from "../../origin/server/replay-guard";
import { RequestLedger } from "../../origin/server/request-ledger";
import type { GenerateRequestInput } from "../../protocol/generate";
import { TEST_SECRET } from "./signed-request";

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

/** A request the tiny model takes seconds on (quality, 512², 50 guided steps): work to interrupt. */
/** A long run (50 guided quality steps, no previews): a test can step away and come back mid-run. */
export function longGuidedRequest(overrides: Partial<GenerateRequestInput> = {}) {
  return validRequest({
    tier: "quality",
    scheduler: "ddim",
    guidance_scale: 3,
    steps: 50,
    preview_every: 0,
    ...overrides,
  });
}

export function longRequest(n: number): GenerateRequestInput {
  return validRequest({
    tier: "quality",
    steps: 50,
    scheduler: "ddim",
    guidance_scale: 5,
    width: 512,
    height: 512,
    n,
    // Minutes of work on a CPU: a deadline it fits, so the origin's admission (which predicts from
    // measured costs) takes it; the tests interrupt it long before.
    deadline_ms: 600_000,
  });
}

/** The origin's HTTP app in-process, ready on `scheduler`, verifying TEST_SECRET. */
export function readyOriginApp(
  pipeline: DiffusionPipeline,
  scheduler = new ContinuousBatcher(pipeline),
  preview?: LatentProjection,
  extra: Partial<OriginAppDeps> = {},
) {
  const state = new OriginState();
  state.markReady({ pipeline, scheduler, ...(preview ? { preview } : {}) });
  return createOriginApp({
    state,
    metrics: createOriginMetrics(),
    replay: new ReplayGuard(),
    ledger: new RequestLedger(),
    region: "test",
    secrets: [TEST_SECRET],
    ...extra,
  });
}
