// Runs one real image through the pipeline so the first client request does not pay graph warm-up.
import { TIER_SPECS } from "../../protocol/tiers";
import type { DiffusionPipeline } from "../engine/pipeline";

/** The fast tier's first size: what warm-up renders and what batch calibration measures at. */
export function warmUpSize(): { width: number; height: number } {
  const [width, height] = (TIER_SPECS.fast.sizes[0] ?? "256x256").split("x").map(Number) as [
    number,
    number,
  ];
  return { width, height };
}

export async function warmUp(pipeline: DiffusionPipeline): Promise<void> {
  const fast = TIER_SPECS.fast;
  const { width, height } = warmUpSize();
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
