// The traffic bench:scheduler (and bench:ab's scheduler mode) sends: exactly 80 % fast / 20 % quality at 256², seeded.
import { TIER_SPECS, type Tier } from "../../protocol/tiers";
import { openLoop } from "./open-loop";

export const FAST_SHARE = 0.8;
/** Requests in one saturated burst, and their arrival rate: far faster than service. */
export const SATURATED_BURST = { requests: 120, ratePerSecond: 200 } as const;
const PROMPTS = [
  "a red circle",
  "blue stripes",
  "sunset over the sea",
  "a green forest",
  "a white moon",
];

/** A deterministic uniform [0, 1) source: every mode and round sees the same tier sequence. */
function seeded(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 48271) + 11) % 2147483647;
    return (s & 0xffffff) / 0x1000000;
  };
}

/**
 * The tiers of `count` requests: exactly FAST_SHARE of them fast (rounded), in a seeded shuffle.
 * Exact rather than drawn per request: a 120-request burst drawn at 80/20 came out 106/14, and the
 * saturation ratio weighs each tier by its share of the compute.
 */
export function tierSequence(count: number, seed: number): Tier[] {
  const quality = Math.round(count * (1 - FAST_SHARE));
  const tiers: Tier[] = Array.from({ length: count }, (_, i) => (i < quality ? "quality" : "fast"));
  const random = seeded(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tiers[i], tiers[j]] = [tiers[j]!, tiers[i]!];
  }
  return tiers;
}

/** Request `i` of a sequence from tierSequence, for the mode and round named by `tag`. */
export function requestBody(i: number, tag: string, tier: Tier) {
  const spec = TIER_SPECS[tier];
  return {
    request_id: `sched-${tag}-${process.pid}-${i}`,
    tenant_id: "bench",
    tier,
    model: "default",
    prompt: PROMPTS[i % PROMPTS.length]!,
    n: 1,
    width: 256,
    height: 256,
    steps: spec.defaultSteps,
    guidance_scale: spec.defaultGuidance,
    seed: i,
    scheduler: spec.defaultScheduler,
    output_format: "png",
    deadline_ms: 600_000,
  };
}

/** One saturated burst of the mixed traffic (the same sequence every time): the origin never idles. */
export function saturatedBurst(url: string, secret: string, tag: string, requests?: number) {
  const tiers = tierSequence(requests ?? SATURATED_BURST.requests, 7);
  return openLoop({
    url,
    secret,
    ratePerSecond: SATURATED_BURST.ratePerSecond,
    requests: tiers.length,
    body: (i) => requestBody(i, tag, tiers[i]!),
  });
}
