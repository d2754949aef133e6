// Re-entering the loop from a cached latent, through the batcher on a FAKE runtime that checks shapes.
import { describe, expect, it } from "vitest";
import { FakeClock, FakeRuntime, fakePipeline } from "../../test/support/fake-runtime";
import type { UnetRow } from "../engine/diffusion-runtime";
import { ContinuousBatcher } from "./continuous-batcher";
import type { GenerationJob } from "./job-scheduler";

/** Throws on a row whose latent is not the call's size, as onnxruntime does on a tensor's shape. */
class ShapeCheckingRuntime extends FakeRuntime {
  override async unet(rows: readonly UnetRow[], h = 0, w = 0): Promise<Float32Array[]> {
    const size = this.model.latentChannels * h * w;
    if (rows.some((r) => r.sample.length !== size)) throw new Error("FAKE tensor shape mismatch");
    return super.unet(rows);
  }
}

function setup() {
  const clock = new FakeClock();
  const runtime = new ShapeCheckingRuntime(clock);
  return { runtime, batcher: new ContinuousBatcher(fakePipeline(runtime), { clock }) };
}

/** A guided quality job; the FAKE encoder labels its rows by `prompt` (the request id unless set). */
function job(
  requestId: string,
  size = 256,
  prompt = requestId,
  resumeFrom?: GenerationJob["resumeFrom"],
): GenerationJob {
  return {
    requestId,
    tier: "quality",
    priority: 5,
    budgetMs: 1_000_000,
    params: {
      prompt,
      negative_prompt: prompt,
      n: 1,
      width: size,
      height: size,
      steps: 8,
      guidance_scale: 5,
      seed: 1,
      scheduler: "ddim",
    },
    resumeFrom,
  };
}

const from = (requestId: string) => ({ requestId, imageIndex: 0, fromStep: 4 });

describe("resuming from a cached latent", () => {
  it("refuses a resume at another size as latent_mismatch; the job sharing its batch runs on", async () => {
    const { batcher, runtime } = setup();
    await batcher.submit(job("orig"));
    const resumed = batcher.submit(job("edit", 512, "edit", from("orig")));
    const beside = batcher.submit(job("beside", 512));
    expect(await resumed).toMatchObject({ ok: false, reason: "latent_mismatch" });
    expect((await beside).ok).toBe(true);
    expect(runtime.calls.some((c) => c.labels.includes("edit"))).toBe(false);
  });

  it("keeps same-seed renders at different sizes apart, so each resumes from its own latent", async () => {
    const { batcher } = setup();
    await batcher.submit(job("small"));
    await batcher.submit(job("big", 512, "small"));
    const resumed = await batcher.submit(job("edit", 256, "edit", from("small")));
    expect(resumed.ok).toBe(true);
  });
});
