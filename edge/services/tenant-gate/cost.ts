// Cost units for billing: one unit is one 512×512 image at its tier's default step count.
import { TIER_SPECS, type Tier } from "../../../protocol/tiers";

/**
 * GPU work grows with pixels × steps, so an image costs
 *   ceil(width × height / 512²) × max(1, ceil(steps / tier default steps)) units.
 * Units are tier-relative (a `fast` unit is far cheaper than a `quality` unit), so prices are per
 * tier and unit. Quota is counted in images, not units: units are recorded alongside for billing.
 * Examples: fast 512×512 @2 → 1; fast 512×512 @4 → 2; quality 1024×1024 @20 → 4; @40 → 8.
 */
export const UNIT_PIXELS = 512 * 512;

export interface CostInput {
  readonly tier: Tier;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
}

export function costUnitsPerImage({ tier, width, height, steps }: CostInput): number {
  const area = Math.ceil((width * height) / UNIT_PIXELS);
  const stepFactor = Math.max(1, Math.ceil(steps / TIER_SPECS[tier].defaultSteps));
  return Math.max(1, area) * stepFactor;
}

export function costUnits(input: CostInput & { readonly n: number }): number {
  return input.n * costUnitsPerImage(input);
}
