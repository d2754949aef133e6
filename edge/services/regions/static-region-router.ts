// The in-memory RegionRouter: a fixed list, in order, residency respected, no health (tools and tests).
import type { OriginTarget } from "../origins/origin-config";
import type { RegionRouter, RouteCandidate, RouteQuery } from "./region-router";
import { withinResidency } from "./select-candidates";

export class StaticRegionRouter implements RegionRouter {
  constructor(private readonly targets: readonly OriginTarget[]) {}

  candidates(query: RouteQuery): Promise<readonly RouteCandidate[]> {
    const allowed = this.targets.filter((t) => withinResidency(t.region, query.residency));
    return Promise.resolve(allowed.map((t) => ({ ...t, predictedMs: null })));
  }

  record(): void {}
}
