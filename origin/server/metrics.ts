// Prometheus metrics for the origin: requests by tier and status, stage histograms, model and device.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const STAGE_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export function createOriginMetrics() {
  const registry = new Registry();
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ["tier"], registers: [registry] });
  const stage = (name: string, help: string) =>
    new Histogram({
      name,
      help,
      labelNames: ["tier"],
      buckets: STAGE_BUCKETS,
      registers: [registry],
    });
  return {
    registry,
    requests: new Counter({
      name: "darkroom_origin_requests_total",
      help: "Generate requests by tier and HTTP status",
      labelNames: ["tier", "status"],
      registers: [registry],
    }),
    queueSeconds: stage("darkroom_origin_queue_seconds", "Time from admission to start of compute"),
    textEncodeSeconds: stage(
      "darkroom_origin_text_encode_seconds",
      "Text encoder time per request",
    ),
    denoiseSeconds: stage("darkroom_origin_denoise_seconds", "Denoising loop time per request"),
    decodeSeconds: stage("darkroom_origin_decode_seconds", "VAE decode time per request"),
    postprocessSeconds: stage(
      "darkroom_origin_postprocess_seconds",
      "Conversion and image encoding time per request",
    ),
    attaches: new Counter({
      name: "darkroom_origin_stream_attaches_total",
      help: "POST /internal/v1/attach calls: a detached streamed run picked up again here (attached), passed on to the peer pod running it (forwarded), or gone (not_found)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    detachedRuns: new Gauge({
      name: "darkroom_origin_detachable_runs",
      help: "Streamed runs a reader may come back to (requested detach_grace_ms), running or awaiting delivery",
      registers: [registry],
    }),
    rows: new Gauge({
      name: "darkroom_origin_rows",
      help: "UNet rows now queued, in the running batch, or paused (CFG rows count twice)",
      labelNames: ["state"],
      registers: [registry],
    }),
    batchRows: new Histogram({
      name: "darkroom_origin_batch_rows",
      help: "UNet rows per denoising step (CFG rows count twice)",
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 24, 32],
      registers: [registry],
    }),
    preemptions: counter(
      "darkroom_origin_preemptions_total",
      "Jobs paused at a step boundary for higher-priority work",
    ),
    deadlineDrops: counter(
      "darkroom_origin_deadline_drops_total",
      "Jobs dropped because their deadline passed",
    ),
    cancellations: counter(
      "darkroom_origin_cancellations_total",
      "Jobs canceled in queue or mid-run",
    ),
    rejections: new Counter({
      name: "darkroom_origin_rejections_total",
      help: "Jobs refused at admission",
      labelNames: ["tier", "reason"],
      registers: [registry],
    }),
    degradations: counter(
      "darkroom_origin_degraded_total",
      "Jobs served with fewer steps or a faster tier",
    ),
    computeSeconds: new Counter({
      name: "darkroom_origin_compute_seconds_total",
      help: "Wall time the batcher spent computing, by stage (text_encode, denoise_step, decode): graph calls and the step math around them. Its rate over all stages is the device's busy fraction, an upper bound",
      labelNames: ["stage"],
      registers: [registry],
    }),
    cacheHitRatio: new Gauge({
      name: "darkroom_origin_cache_hit_ratio",
      help: "Hits / lookups since start, per cache",
      labelNames: ["cache"],
      registers: [registry],
    }),
    modelLoadSeconds: new Gauge({
      name: "darkroom_origin_model_load_seconds",
      help: "Time to load sessions and run the warm-up image",
      registers: [registry],
    }),
    batchLimit: new Gauge({
      name: "darkroom_origin_batch_limit",
      help: "Most UNet rows per call (unet_rows) and images per VAE call (decode_images), as measured at start",
      labelNames: ["limit"],
      registers: [registry],
    }),
    unetInstances: new Gauge({
      name: "darkroom_origin_unet_instances",
      help: "Instances a UNet call's rows are split across (0: one session; DARKROOM_UNET_INSTANCES)",
      registers: [registry],
    }),
    ready: new Gauge({
      name: "darkroom_origin_ready",
      help: "1 when models are loaded and warmed",
      registers: [registry],
    }),
    info: new Gauge({
      name: "darkroom_origin_info",
      help: "1, labelled with what the loaded model runs on: execution provider (cpu on a GPU pod means CUDA failed to load), onnxruntime version and model id",
      labelNames: ["provider", "onnxruntime_version", "model"],
      registers: [registry],
    }),
  };
}

export type OriginMetrics = ReturnType<typeof createOriginMetrics>;

/** Sets darkroom_origin_info for the model now loaded (the only series: a reload replaces it). */
export function recordOriginInfo(
  metrics: OriginMetrics,
  model: { id: string; executionProvider: string; onnxruntimeVersion: string },
): void {
  metrics.info.reset();
  metrics.info.set(
    {
      provider: model.executionProvider,
      onnxruntime_version: model.onnxruntimeVersion,
      model: model.id,
    },
    1,
  );
}
