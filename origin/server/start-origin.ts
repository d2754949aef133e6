// Starts one origin process: listen at once (healthz), load and warm the model (readyz), drain on SIGTERM.
import { serve } from "@hono/node-server";
import type { OriginConfig } from "../config";
import type { DiffusionPipeline } from "../engine/pipeline";
import type { LatentProjection } from "../imaging/latent-preview";
import { loadPreviewProjection } from "../imaging/preview-projection";
import { loadPipeline, sessionSettingsFrom } from "../load-pipeline";
import { calibrateBatching, type SizeCost } from "../scheduler/batch-calibration";
import {
  type BatchPolicy,
  DEFAULT_BATCH_POLICY,
  FIFO_BATCH_POLICY,
  withDeviceLimits,
} from "../scheduler/batch-policy";
import { ContinuousBatcher } from "../scheduler/continuous-batcher";
import type { CostModel } from "../scheduler/cost-model";
import { GraphWatchdog } from "../scheduler/graph-watchdog";
import { createOriginApp } from "./app";
import { createBenchNullImage } from "./bench-null-image";
import { DetachedRuns } from "./detached-runs";
import { createOriginMetrics, type OriginMetrics, recordOriginInfo } from "./metrics";
import { schedulerMetrics } from "./metrics-events";
import { OriginState } from "./origin-state";
import { PeerForwarder } from "./peer-forward";
import { ReplayGuard } from "./replay-guard";
import { RequestLedger } from "./request-ledger";
import { warmUp, warmUpSize } from "./warm-up";

export interface RunningOrigin {
  state: OriginState;
  port: number;
  ready: Promise<void>;
  /** Stop admitting, hand back queued work, finish running work, close the listener. */
  shutdown(): Promise<void>;
  /** Hand back all work still in flight now (503 not_ready); `shutdown` then completes. */
  abandon(): void;
}

/** Previews are a nicety: a model without known factors (or a bad preview file) streams without them. */
async function previewFor(
  config: OriginConfig,
  pipeline: DiffusionPipeline,
): Promise<LatentProjection | null> {
  // A manifest's folder is chosen by the model store; its export can ship darkroom_preview.json later.
  if (config.modelManifest) return null;
  try {
    return await loadPreviewProjection(config.modelDir, pipeline.model.latentChannels);
  } catch (error) {
    console.warn(`darkroom origin: no previews (${(error as Error).message})`);
    return null;
  }
}

/**
 * FIFO is the batch-1 baseline. Continuous batching takes the default policy, capped where this
 * device's measured batch costs say bigger calls stop paying (DARKROOM_BATCH_CALIBRATION=auto).
 */
async function batchPolicyFor(
  config: OriginConfig,
  pipeline: DiffusionPipeline,
  metrics: OriginMetrics,
): Promise<{ policy: BatchPolicy; measured?: Measured }> {
  if (config.scheduler === "fifo") return { policy: FIFO_BATCH_POLICY };
  if (config.batchCalibration === "off") return { policy: DEFAULT_BATCH_POLICY };
  const { width, height } = warmUpSize();
  const { h, w } = pipeline.latentSize(width, height);
  const tiers = Object.values(DEFAULT_BATCH_POLICY.tiers);
  const measured = await calibrateBatching(pipeline.runtime, {
    h,
    w,
    maxRows: Math.max(...tiers.map((t) => t.maxBatchRows)),
    maxImages: 8,
  });
  metrics.batchLimit.set({ limit: "unet_rows" }, measured.unetRows);
  metrics.batchLimit.set({ limit: "decode_images" }, measured.decodeImages);
  const costs = (list: SizeCost[]) =>
    list.map((c) => `${c.size}→${(c.ms / c.size).toFixed(1)}`).join(" ");
  console.log(
    `darkroom origin [${config.region}] batch limits: ${measured.unetRows} UNet rows, ${measured.decodeImages} images per VAE call (ms per item by batch size: UNet ${costs(measured.unet)}; VAE ${costs(measured.decode)})`,
  );
  const single = (list: SizeCost[]) => list.find((c) => c.size === 1)?.ms ?? 0;
  return {
    policy: withDeviceLimits(DEFAULT_BATCH_POLICY, measured),
    measured: {
      unetRowMs: single(measured.unet),
      decodeImageMs: single(measured.decode),
      cells: h * w,
    },
  };
}

/** One row's UNet call and one image's decode at `cells` latent cells, as calibration timed them. */
type Measured = Parameters<CostModel["prime"]>[0];

export async function startOrigin(config: OriginConfig): Promise<RunningOrigin> {
  const state = new OriginState();
  const metrics = createOriginMetrics();
  const benchNullImage = config.benchNullOrigin ? await createBenchNullImage() : undefined;
  const detached = new DetachedRuns((size) => metrics.detachedRuns.set(size));
  const app = createOriginApp({
    state,
    metrics,
    replay: new ReplayGuard(),
    ledger: new RequestLedger(),
    detached,
    peers: config.peers.length > 0 ? new PeerForwarder(config.peers, config.port) : undefined,
    region: config.region,
    secrets: config.sharedSecrets,
    benchNullImage,
  });
  const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("listening", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : config.port);
    });
    server.once("error", reject);
  });
  const ready = (async () => {
    if (benchNullImage) {
      console.warn("darkroom origin: BENCHMARK-ONLY null mode, no inference runs");
      return state.markReadyWithoutModel();
    }
    const started = performance.now();
    const pipeline = await loadPipeline({
      modelDir: config.modelDir,
      modelId: config.modelId,
      modelManifest: config.modelManifest,
      ...sessionSettingsFrom(config),
      runtimeThread: config.runtimeThread,
      unetInstances: config.unetInstances,
      memoryBudgetBytes: config.modelMemoryBytes,
    });
    recordOriginInfo(metrics, pipeline.model);
    // A runtime that can no longer run graphs (its thread died, or a graph call hung) takes the
    // origin out of rotation (readyz) and asks to be restarted (healthz): every request would
    // fail otherwise.
    const runtimeFailed = (error: Error) => {
      console.error(
        `darkroom origin [${config.region}] ${error.message}; marking the origin failed`,
      );
      state.markFailed(error.message);
    };
    pipeline.runtime.onFailure?.(runtimeFailed);
    await warmUp(pipeline);
    metrics.modelLoadSeconds.set((performance.now() - started) / 1000);
    const { policy, measured } = await batchPolicyFor(config, pipeline, metrics);
    const scheduler = new ContinuousBatcher(pipeline, {
      policy,
      events: schedulerMetrics(metrics),
      watchdog: new GraphWatchdog({ floorMs: config.graphWatchdogMs, onHang: runtimeFailed }),
    });
    if (measured) scheduler.cost.prime(measured);
    state.markReady({ pipeline, scheduler, preview: await previewFor(config, pipeline) });
  })().catch((error: Error) => {
    state.markFailed(error.message);
    throw error;
  });
  const shutdown = async () => {
    state.startDraining();
    const parts = state.loaded();
    await parts?.scheduler.drain();
    // A detached run that finished while its edge was between alarms waits (up to its grace) to
    // hand over its result.
    await detached.idle();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await parts?.pipeline.runtime.dispose();
  };
  const abandon = () => state.loaded()?.scheduler.abandon();
  return { state, port, ready, shutdown, abandon };
}
