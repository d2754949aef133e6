// Runs one real image through the pipeline so the first client request does not pay graph warm-up.
import { TIER_SPECS } from "../../protocol/tiers";
import type { DiffusionPipeline } from "../engine/pipeline";

export async function warmUp(pipeline: DiffusionPipeline): Promise<void> {
  const fast = TIER_SPECS.fast;
  const [width, height] = (fast.sizes[0] ?? "256x256").split("x").map(Number) as [number, number];
  await pipeline.generate({
    prompt: "warm-up",
    negative_prompt: "",
    n: 1,
    width,
    height,
    steps: fast.defaultSteps,
    guidance_scale: fast.defaultGuidance,
    seed: 0,
    scheduler: fast.defaultScheduler,
  });
}
