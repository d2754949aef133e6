// The batcher on the real tiny model: batching must not change images; caches must not either.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTinyPipeline } from "../../test/support/origin-fixtures";
import { lcmPipelineCountingRows } from "../../test/support/tiny-model-fixtures";
import { createScheduler } from "../diffusion/scheduler";
import { advanceRows, type DenoiseRow } from "../engine/denoise-row";
import type { DiffusionPipeline, GenerateParams } from "../engine/pipeline";
import { toRgb8 } from "../imaging/encode-image";
import { DEFAULT_BATCH_POLICY } from "./batch-policy";
import { ContinuousBatcher } from "./continuous-batcher";
import type { GenerationJob, JobOutcome } from "./job-scheduler";

let pipeline: DiffusionPipeline;
beforeAll(async () => {
  pipeline = await loadTinyPipeline();
});

const quality: GenerateParams = {
  prompt: "a red circle",
  negative_prompt: "blurry",
  n: 1,
  width: 256,
  height: 256,
  steps: 8,
  guidance_scale: 3,
  seed: 11,
  scheduler: "euler_ancestral",
};

function job(
  requestId: string,
  params: Partial<GenerateParams>,
  extra: Partial<GenerationJob> = {},
): GenerationJob {
  return {
    requestId,
    tier: "quality",
    priority: 5,
    budgetMs: 600_000,
    params: { ...quality, ...params },
    ...extra,
  };
}

function bytesOf(outcome: JobOutcome): Uint8Array {
  if (!outcome.ok) throw new Error(`job failed: ${outcome.reason}`);
  return toRgb8(outcome.result.images[0]!.pixels, quality.width, quality.height);
}

function maxByteDiff(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe("continuous batching on the real runtime", () => {
  it("gives an image made inside a mixed batch the same 8-bit pixels as the request run alone", async () => {
    const alone = bytesOf(await new ContinuousBatcher(pipeline).submit(job("alone", {})));
    const batcher = new ContinuousBatcher(pipeline);
    let other: Promise<JobOutcome> | undefined;
    const mixed = batcher.submit(
      job(
        "mixed",
        {},
        {
          onEvent: (e) => {
            if (e.type === "progress" && e.step === 3) {
              other = batcher.submit(
                job("other", { prompt: "blue stripes", seed: 5, scheduler: "ddim" }),
              );
            }
          },
        },
      ),
    );
    const together = bytesOf(await mixed);
    expect((await other!).ok).toBe(true);
    // Measured: batched CPU kernels round differently in the last float bits (~1e-7); after 8-bit
    // quantisation the images are byte-identical or within the documented 1/255 tolerance.
    expect(maxByteDiff(alone, together)).toBeLessThanOrEqual(1);
  });

  it("serves an embedding-cache hit with identical output", async () => {
    const batcher = new ContinuousBatcher(pipeline);
    const missesBefore = pipeline.embeddings.misses;
    const first = bytesOf(
      await batcher.submit(
        job("e1", { prompt: "a green forest at dusk", negative_prompt: "grey haze" }),
      ),
    );
    const hitsBefore = pipeline.embeddings.hits;
    const second = bytesOf(
      await batcher.submit(
        job("e2", { prompt: "a green forest at dusk", negative_prompt: "grey haze" }),
      ),
    );
    expect(pipeline.embeddings.misses - missesBefore).toBe(2);
    expect(pipeline.embeddings.hits - hitsBefore).toBe(2);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  });

  it("re-enters an edit at step k from the cached latent, matching a fresh run from that latent", async () => {
    const batcher = new ContinuousBatcher(pipeline, { policy: DEFAULT_BATCH_POLICY });
    await batcher.submit(job("original", {}));
    const k = 4;
    const edit = { prompt: "a purple circle" };
    const edited = bytesOf(
      await batcher.submit(
        job("edit", edit, { resumeFrom: { requestId: "original", imageIndex: 0, fromStep: k } }),
      ),
    );
    const cached = batcher.latents!.find("original", 0, k, pipeline.model.sha256, "")!;
    const emb = await pipeline.encodePrompts(edit.prompt, quality.negative_prompt, true);
    const row: DenoiseRow = {
      scheduler: createScheduler(quality.scheduler, pipeline.model.schedulerConfig, quality.steps),
      seed: quality.seed,
      cond: emb.cond,
      uncond: emb.uncond,
      guidance: quality.guidance_scale,
      sample: cached.latent.slice(),
      step: k,
    };
    while (row.step < quality.steps) await advanceRows(pipeline.runtime, [row], 32, 32);
    const [pixels] = await pipeline.runtime.decode([row.sample], 32, 32);
    expect(Buffer.from(toRgb8(pixels!, 256, 256)).equals(Buffer.from(edited))).toBe(true);
    const fromScratch = bytesOf(await batcher.submit(job("scratch", edit)));
    expect(maxByteDiff(fromScratch, edited)).toBeGreaterThan(8);
  });

  it("keeps prompt embeddings per tenant: another tenant's same prompt is a miss", async () => {
    const batcher = new ContinuousBatcher(pipeline);
    const prompt = { prompt: "an orange kite over the dunes", negative_prompt: "fog" };
    await batcher.submit(job("t1", prompt, { tenantId: "ten_a" }));
    const misses = pipeline.embeddings.misses;
    await batcher.submit(job("t2", prompt, { tenantId: "ten_b" }));
    expect(pipeline.embeddings.misses - misses).toBe(2);
    const hits = pipeline.embeddings.hits;
    await batcher.submit(job("t3", prompt, { tenantId: "ten_a" }));
    expect(pipeline.embeddings.hits - hits).toBe(2);
  });

  it("resumes image 1 of a request given that request's own seed, and never another tenant's", async () => {
    const batcher = new ContinuousBatcher(pipeline);
    await batcher.submit(job("pair", { n: 2 }, { tenantId: "ten_a" }));
    const ref = { requestId: "pair", imageIndex: 1, fromStep: 2 };
    const own = await batcher.submit(
      job("edit1", { n: 1 }, { tenantId: "ten_a", resumeFrom: ref }),
    );
    expect(own.ok).toBe(true);
    const other = await batcher.submit(
      job("edit2", { n: 1 }, { tenantId: "ten_b", resumeFrom: ref }),
    );
    expect(other).toMatchObject({ ok: false, reason: "latent_not_found" });
  });

  it("batches an LCM-style model's guided jobs as one row per image (guidance is an input)", async () => {
    const { pipeline: lcm, rowsPerCall, close } = await lcmPipelineCountingRows();
    try {
      const batcher = new ContinuousBatcher(lcm);
      const lcmJob = job("lcm", { n: 2, scheduler: "lcm", steps: 4, guidance_scale: 6 });
      const outcome = await batcher.submit(lcmJob);
      expect(outcome.ok).toBe(true);
      // Only the prompt is encoded: no negative prompt, as there is no unconditional row.
      expect(lcm.embeddings.misses).toBe(1);
      expect(rowsPerCall.length).toBeGreaterThan(0);
      expect(rowsPerCall.every((n) => n === 2)).toBe(true);
    } finally {
      await close();
    }
  });

  it("refuses an edit whose latent is not cached, or whose schedule differs", async () => {
    const batcher = new ContinuousBatcher(pipeline);
    const ref = { requestId: "never-ran", imageIndex: 0, fromStep: 2 };
    expect(await batcher.submit(job("x", {}, { resumeFrom: ref }))).toMatchObject({
      ok: false,
      reason: "latent_not_found",
    });
    await batcher.submit(job("base", {}));
    const mismatch = await batcher.submit(
      job("y", { steps: 10 }, { resumeFrom: { requestId: "base", imageIndex: 0, fromStep: 2 } }),
    );
    expect(mismatch).toMatchObject({ ok: false, reason: "latent_mismatch" });
  });
});
