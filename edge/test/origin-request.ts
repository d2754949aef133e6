// Fixtures for unit tests of the edge→origin call paths: two regions to fail over between, one request.
import type { OriginRequest } from "../services/origins/origin-dispatch";
import type { RouteCandidate } from "../services/regions/region-router";

export const TWO_REGIONS: RouteCandidate[] = [
  { region: "us", url: "http://us.test", predictedMs: null },
  { region: "eu", url: "http://eu.test", predictedMs: null },
];

export const ORIGIN_REQUEST: OriginRequest = {
  request_id: "gen_1",
  tenant_id: "ten_1",
  tier: "fast",
  model: "default",
  prompt: "a fox",
  n: 1,
  width: 512,
  height: 512,
  steps: 2,
  guidance_scale: 0,
  seed: 1,
  scheduler: "euler",
};
