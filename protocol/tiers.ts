// Latency tiers: the one table of steps, sizes, schedulers, guidance and deadlines both sides obey.
export const TIERS = ["fast", "quality", "batch"] as const;
export type Tier = (typeof TIERS)[number];

export const SCHEDULERS = ["euler", "euler_ancestral", "ddim", "lcm"] as const;
export type SchedulerName = (typeof SCHEDULERS)[number];

export const OUTPUT_FORMATS = ["png", "webp", "jpeg"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface TierSpec {
  readonly minSteps: number;
  readonly maxSteps: number;
  readonly defaultSteps: number;
  /** Steps used when an OpenAI client asks for `quality: "high" | "hd"`. */
  readonly highQualitySteps: number;
  readonly sizes: readonly string[];
  readonly schedulers: readonly SchedulerName[];
  readonly defaultScheduler: SchedulerName;
  readonly maxGuidance: number;
  readonly defaultGuidance: number;
  readonly defaultDeadlineMs: number;
  /** Lower runs first. */
  readonly priority: number;
}

const SMALL_SIZES = ["256x256", "384x384", "512x512", "512x384", "384x512"] as const;
const LARGE_SIZES = [...SMALL_SIZES, "768x768", "1024x1024", "1024x768", "768x1024"] as const;

export const TIER_SPECS: Record<Tier, TierSpec> = {
  // Fast runs without classifier-free guidance: one UNet row per image keeps the tail short.
  fast: {
    minSteps: 1,
    maxSteps: 4,
    defaultSteps: 2,
    highQualitySteps: 4,
    sizes: SMALL_SIZES,
    schedulers: ["euler", "lcm"],
    defaultScheduler: "euler",
    maxGuidance: 1,
    defaultGuidance: 0,
    defaultDeadlineMs: 5_000,
    priority: 0,
  },
  quality: {
    minSteps: 8,
    maxSteps: 50,
    defaultSteps: 20,
    highQualitySteps: 40,
    sizes: LARGE_SIZES,
    schedulers: ["euler_ancestral", "ddim", "euler"],
    defaultScheduler: "euler_ancestral",
    maxGuidance: 30,
    defaultGuidance: 7.5,
    defaultDeadlineMs: 60_000,
    priority: 1,
  },
  batch: {
    minSteps: 8,
    maxSteps: 50,
    defaultSteps: 20,
    highQualitySteps: 40,
    sizes: LARGE_SIZES,
    schedulers: ["euler_ancestral", "ddim", "euler"],
    defaultScheduler: "euler_ancestral",
    maxGuidance: 30,
    defaultGuidance: 7.5,
    defaultDeadlineMs: 3_600_000,
    priority: 2,
  },
};

export function parseSize(size: string): { width: number; height: number } | null {
  const match = /^(\d{2,4})x(\d{2,4})$/.exec(size);
  if (!match) return null;
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function sizeAllowed(tier: Tier, width: number, height: number): boolean {
  return TIER_SPECS[tier].sizes.includes(`${width}x${height}`);
}
