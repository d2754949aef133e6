// Test helpers for the generation routes: a tenant with chosen limits, its key, and calls through a fake origin.
import { FAKE_ORIGIN_BINDINGS } from "./fake-origin";
import { type CallOptions, call, callEagerly, callJson, createTenant, issueKey } from "./harness";

export interface TenantLimitsInput {
  rate_limit_per_minute?: number;
  max_concurrency?: number;
  monthly_image_quota?: number;
  allowed_tiers?: string[];
  store_prompts?: boolean;
}

export async function tenantWithKey(limits: TenantLimitsInput = {}) {
  const tenant = await createTenant({
    rate_limit_per_minute: 1_000,
    max_concurrency: 100,
    monthly_image_quota: 10_000,
    ...limits,
  });
  const { key } = await issueKey(tenant.id);
  return { tenantId: tenant.id, key };
}

/** POST /v1/images/generations with ORIGINS pointed at the fake origin. */
export function generate(key: string, json: unknown, options: CallOptions = {}) {
  return call("/v1/images/generations", {
    token: key,
    json,
    ...options,
    bindings: { ...FAKE_ORIGIN_BINDINGS, ...options.bindings },
  });
}

/** `generate`, answered before its deferred work finishes (see callEagerly). */
export function generateEagerly(key: string, json: unknown, options: CallOptions = {}) {
  return callEagerly("/v1/images/generations", {
    token: key,
    json,
    ...options,
    bindings: { ...FAKE_ORIGIN_BINDINGS, ...options.bindings },
  });
}

export interface Usage {
  images_used: number;
  images_reserved: number;
  in_flight: number;
  units_used: number;
  monthly_image_quota: number;
  rate_limit_per_minute: number;
  period_start: string;
  period_end: string;
}

export async function usageOf(key: string): Promise<Usage> {
  const res = await callJson<Usage>("/v1/usage", { token: key });
  if (res.status !== 200) throw new Error(`usage failed: ${res.status}`);
  return res.body;
}
