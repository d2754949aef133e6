// Admission control: predicted completion (measured cost × work ahead) against the job's deadline.
import { TIER_SPECS, type Tier } from "../../protocol/tiers";
import { usesGuidance } from "../diffusion/guidance";
import type { GenerateParams } from "../engine/pipeline";
import type { CostModel } from "./cost-model";
import type { WorkItem } from "./work-item";

export interface Candidate {
  tier: Tier;
  params: GenerateParams;
  cells: number;
  /** The model takes guidance as an input (LCM): one UNet row per image at any guidance. */
  embedsGuidance?: boolean;
}

export type Admission =
  | { ok: true; tier: Tier; params: GenerateParams; degraded?: string; predictedMs: number }
  | {
      ok: false;
      retryAfterMs: number;
      predictedMs: number;
      /** Its own work (at any allowed degradation) outlasts the budget even on an idle origin. */
      beyondDeadline: boolean;
    };

/** Compute this work needs on its own: text encoder, UNet row-steps, decode. */
export function ownWorkMs(c: Candidate, cost: CostModel, fromStep = 0): number {
  const rows = c.params.n * (usesGuidance(c.params.guidance_scale, c.embedsGuidance) ? 2 : 1);
  const steps = Math.max(0, c.params.steps - fromStep);
  return (
    cost.textEncodeMs() +
    rows * steps * cost.rowStepMs(c.cells) +
    cost.decodeMs(c.params.n, c.cells)
  );
}

/**
 * What a lower tier's running job still holds the device for: the UNet call in progress (its
 * start is not tracked, so a whole step), and its decode when that call is its last.
 */
function callInProgressMs(item: WorkItem, cost: CostModel): number {
  const step = item.unetRows * cost.rowStepMs(item.latentCells);
  return item.remainingSteps > 1 ? step : step + cost.decodeMs(item.params.n, item.latentCells);
}

/**
 * Work that runs before a new job of `tier`: everything ranked at or above it. Lower tiers yield,
 * but only at a step boundary: a graph call of theirs already running cannot be interrupted.
 */
export function workAheadMs(items: readonly WorkItem[], tier: Tier, cost: CostModel): number {
  const rank = TIER_SPECS[tier].priority;
  let total = 0;
  for (const item of items) {
    if (TIER_SPECS[item.tier].priority > rank) {
      if (item.state === "running") total += callInProgressMs(item, cost);
      continue;
    }
    total += item.unetRows * item.remainingSteps * cost.rowStepMs(item.latentCells);
    total += cost.decodeMs(item.params.n, item.latentCells);
  }
  return total;
}

function degradeOptions(c: Candidate): Array<{ candidate: Candidate; why: string }> {
  const spec = TIER_SPECS[c.tier];
  const options: Array<{ candidate: Candidate; why: string }> = [];
  if (c.params.steps > spec.minSteps) {
    options.push({
      candidate: { ...c, params: { ...c.params, steps: spec.minSteps } },
      why: `steps ${c.params.steps}->${spec.minSteps} to meet the deadline`,
    });
  }
  const fast = TIER_SPECS.fast;
  if (c.tier !== "fast" && fast.sizes.includes(`${c.params.width}x${c.params.height}`)) {
    const params = {
      ...c.params,
      steps: fast.defaultSteps,
      guidance_scale: fast.defaultGuidance,
      scheduler: fast.defaultScheduler,
    };
    options.push({
      candidate: { ...c, tier: "fast", params },
      why: `tier ${c.tier}->fast to meet the deadline`,
    });
  }
  return options;
}

export function admit(
  c: Candidate,
  items: readonly WorkItem[],
  cost: CostModel,
  budgetMs: number,
  allowDegrade: boolean,
): Admission {
  const ahead = workAheadMs(items, c.tier, cost);
  const predictedMs = ahead + ownWorkMs(c, cost);
  if (predictedMs <= budgetMs) return { ok: true, tier: c.tier, params: c.params, predictedMs };
  if (allowDegrade) {
    for (const { candidate, why } of degradeOptions(c)) {
      const predicted = workAheadMs(items, candidate.tier, cost) + ownWorkMs(candidate, cost);
      if (predicted <= budgetMs) {
        return {
          ok: true,
          tier: candidate.tier,
          params: candidate.params,
          degraded: why,
          predictedMs: predicted,
        };
      }
    }
  }
  const fitsAlone =
    ownWorkMs(c, cost) <= budgetMs ||
    (allowDegrade &&
      degradeOptions(c).some(({ candidate }) => ownWorkMs(candidate, cost) <= budgetMs));
  return {
    ok: false,
    retryAfterMs: Math.max(1000, predictedMs - budgetMs),
    predictedMs,
    beyondDeadline: !fitsAlone,
  };
}
