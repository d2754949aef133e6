// What a generation asks of routing and of the origin, built from its plan: shared by sync, stream:true and jobs.
import { defaultPreviewEvery } from "../../../protocol/generate";
import type { OriginRequest } from "../origins/origin-dispatch";
import type { RouteQuery } from "../regions/region-router";
import type { GenerationPlan } from "./generation-plan";
import type { GenerationTarget } from "./image-generation";

export interface StreamIdentity {
  /** The gate's reservation id and the origin's request id. */
  readonly generationId: string;
  readonly tenantId: string;
  readonly storePrompt: boolean;
  readonly safety: { readonly decision: string; readonly policyVersion: string };
}

export function routeQueryFor(plan: GenerationPlan, route: GenerationTarget["route"]): RouteQuery {
  return {
    tier: plan.tier,
    model: plan.model,
    steps: plan.steps,
    width: plan.width,
    height: plan.height,
    n: plan.n,
    guidanceScale: plan.guidanceScale,
    residency: route.residency,
    colo: route.colo,
    continent: route.continent,
    deadlineMs: plan.deadlineMs,
  };
}

export function originRequestFor(plan: GenerationPlan, who: StreamIdentity): OriginRequest {
  return {
    request_id: who.generationId,
    tenant_id: who.tenantId,
    tier: plan.tier,
    model: plan.model,
    // The cleaned text: the model sees exactly what the prefilter judged.
    prompt: plan.cleanedPrompt,
    negative_prompt: plan.negativePrompt,
    n: plan.n,
    width: plan.width,
    height: plan.height,
    steps: plan.steps,
    guidance_scale: plan.guidanceScale,
    seed: plan.seed,
    scheduler: plan.scheduler,
    output_format: plan.outputFormat,
    priority: 5,
    safety: { decision: who.safety.decision, policy_version: who.safety.policyVersion },
    store_prompt: who.storePrompt,
  };
}

/** `previewEvery` unset: the tier's default (every step on fast, every 4th otherwise). */
export function streamRequest(
  plan: GenerationPlan,
  who: StreamIdentity,
  previewEvery: number = defaultPreviewEvery(plan.tier),
): OriginRequest & { preview_every: number } {
  return { ...originRequestFor(plan, who), preview_every: previewEvery };
}
