// A RegionRouter over the fixed ORIGINS list: every origin, in order, residency respected; no health.
import type { OriginTarget } from "../origins/origin-config";
import type { RegionRouter, RouteCandidate, RouteQuery } from "./region-router";

export class StaticRegionRouter implements RegionRouter {
  constructor(private readonly targets: readonly OriginTarget[]) {}

  candidates(query: RouteQuery): Promise<readonly RouteCandidate[]> {
    const allowed = this.targets.filter(
      (t) => query.residency === null || t.region === query.residency,
    );
    return Promise.resolve(allowed.map((t) => ({ ...t, predictedMs: null })));
  }

  record(): void {}
}
