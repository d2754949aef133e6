// The three things a step boundary does to work: start it (encode, seed rows), advance it, finish it.
import { advanceRows, type DenoiseRow } from "../engine/denoise-row";
import type { CachedLatent, LatentCache, LatentOrigin } from "../engine/latent-cache";
import { type DiffusionPipeline, type GenerateParams, imageSeed } from "../engine/pipeline";
import type { GraphCall } from "./graph-watchdog";
import type { JobOutcome } from "./job-scheduler";
import type { WorkItem } from "./work-item";

export interface StepContext {
  pipeline: DiffusionPipeline;
  latents: LatentCache | null;
  now: () => number;
  /** Most images per VAE call (the device's limit); unset: all finished rows in one call. */
  decodeImages?: number | undefined;
  /** Races one graph call against the graph watchdog (graph-watchdog.ts); unset: no limit. */
  watch?: <T>(call: GraphCall, run: Promise<T>) => Promise<T>;
}

function watched<T>(ctx: StepContext, call: GraphCall, run: Promise<T>): Promise<T> {
  return ctx.watch ? ctx.watch(call, run) : run;
}

/** Decodes `latents` in calls of at most `perCall` images, results in order. */
async function decodeInCalls(
  ctx: StepContext,
  latents: Float32Array[],
  h: number,
  w: number,
): Promise<Float32Array[]> {
  const perCall = Math.max(1, ctx.decodeImages ?? latents.length);
  const pixels: Float32Array[] = [];
  for (let i = 0; i < latents.length; i += perCall) {
    const slice = latents.slice(i, i + perCall);
    const call: GraphCall = { graph: "VAE", images: slice.length, cells: h * w };
    pixels.push(...(await watched(ctx, call, ctx.pipeline.runtime.decode(slice, h, w))));
  }
  return pixels;
}

function originOf(
  ctx: StepContext,
  item: WorkItem,
  embeddingKey: string,
  seed: number,
): LatentOrigin {
  const p = item.params;
  const ref = item.job.resumeFrom;
  return {
    tenantId: item.job.tenantId ?? "",
    modelSha256: ctx.pipeline.model.sha256,
    embeddingKey,
    seed,
    scheduler: p.scheduler,
    steps: p.steps,
    width: p.width,
    height: p.height,
    guidance_scale: p.guidance_scale,
    resumedFrom: ref ? `${ref.requestId}#${ref.imageIndex}@${ref.fromStep}` : "",
  };
}

/** Whether a cached latent can seed this job's only row: same schedule, seed and latent shape. */
function resumable(
  cached: CachedLatent,
  p: GenerateParams,
  seed: number,
  row: DenoiseRow | undefined,
): boolean {
  const o = cached.origin;
  // A latent of another shape must never reach the UNet: the runtime would throw on the tensor
  // size and fail every job sharing the call.
  const sameShape =
    o.width === p.width && o.height === p.height && cached.latent.length === row?.sample.length;
  return (
    sameShape && o.scheduler === p.scheduler && o.steps === p.steps && o.seed === seed && p.n === 1
  );
}

/** Encodes prompts and seeds rows; an edit re-enters from a cached latent. Fails as a value. */
export async function startItem(ctx: StepContext, item: WorkItem): Promise<JobOutcome | null> {
  const p = item.params;
  const t0 = ctx.now();
  const tenant = item.job.tenantId ?? "";
  const emb = await watched(
    ctx,
    { graph: "text encoder" },
    ctx.pipeline.encodePrompts(p.prompt, p.negative_prompt, item.rowsPerImage === 2, tenant),
  );
  item.textEncodeMs = ctx.now() - t0;
  const rows = ctx.pipeline.initialRows(p, emb.cond, emb.uncond);
  const ref = item.job.resumeFrom;
  if (ref) {
    const cached = ctx.latents?.find(
      ref.requestId,
      ref.imageIndex,
      ref.fromStep,
      ctx.pipeline.model.sha256,
      tenant,
    );
    if (!cached) return { ok: false, reason: "latent_not_found" };
    // The cached latent carries its image's own seed (the request's, offset by the image index).
    const seed = imageSeed(p.seed, ref.imageIndex);
    if (!resumable(cached, p, seed, rows[0])) {
      const message = `resume needs n=1 and the original request's size, scheduler, steps and seed`;
      return { ok: false, reason: "latent_mismatch", message };
    }
    // Its seed too: the ancestral and LCM steps draw their noise from it.
    rows[0] = { ...rows[0]!, seed, sample: cached.latent.slice(), step: ref.fromStep };
    item.stepsDone = ref.fromStep;
  }
  item.rows = rows;
  item.embeddingKey = emb.key;
  return null;
}

/** One UNet call over every unfinished row of the given work (all in one shape bucket). */
export async function stepItems(ctx: StepContext, items: readonly WorkItem[]): Promise<number> {
  const first = items[0];
  if (!first) return 0;
  const { h, w } = ctx.pipeline.latentSize(first.params.width, first.params.height);
  const rows: DenoiseRow[] = items.flatMap((i) => i.rows ?? []);
  const unetRows = items.reduce((s, i) => s + i.unetRows, 0);
  const t0 = ctx.now();
  await watched(
    ctx,
    { graph: "UNet", rows: unetRows, cells: h * w },
    advanceRows(ctx.pipeline.runtime, rows, h, w),
  );
  const ms = ctx.now() - t0;
  for (const item of items) {
    item.stepsDone += 1;
    item.denoiseMs += ms;
    const key = item.embeddingKey ?? "";
    item.rows?.forEach((row, index) => {
      ctx.latents?.put(
        item.job.requestId,
        index,
        originOf(ctx, item, key, row.seed),
        row.step,
        row.sample,
      );
    });
    item.job.onEvent?.({
      type: "progress",
      step: item.stepsDone,
      steps: item.params.steps,
      latents: (item.rows ?? []).map((r) => r.sample),
    });
  }
  return ms;
}

/** Decodes every finished job's rows (in as few VAE calls as the device limit allows), resolves each. */
export async function finishItems(ctx: StepContext, items: readonly WorkItem[]): Promise<number> {
  const first = items[0];
  if (!first) return 0;
  const { h, w } = ctx.pipeline.latentSize(first.params.width, first.params.height);
  const t0 = ctx.now();
  const pixels = await decodeInCalls(
    ctx,
    items.flatMap((i) => (i.rows ?? []).map((r) => r.sample)),
    h,
    w,
  );
  const decodeMs = ctx.now() - t0;
  let offset = 0;
  for (const item of items) {
    const rows = item.rows ?? [];
    const images = rows.map((r, k) => ({ seed: r.seed, pixels: pixels[offset + k]! }));
    offset += rows.length;
    item.resolve({
      ok: true,
      result: {
        images,
        timings: {
          queue_ms: (item.startedAt ?? item.enqueuedAt) - item.enqueuedAt,
          text_encode_ms: item.textEncodeMs,
          denoise_ms: item.denoiseMs,
          decode_ms: decodeMs,
        },
        params: item.params,
        tier: item.tier,
        ...(item.degraded ? { degraded: item.degraded } : {}),
      },
    });
  }
  return decodeMs;
}
