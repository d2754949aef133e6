// Schemas of the admin origins API and how a registry row plus its board health is presented.
import { z } from "@hono/zod-openapi";
import { LoadReportSchema } from "../../protocol/load";
import { MODEL_ID_PATTERN } from "../../protocol/model-id";
import { ORIGIN_STATES } from "../db/schema";
import type { OriginHealth } from "../services/regions/board-store";
import { type BreakerPolicy, breakerState, closedBreaker } from "../services/regions/breaker";
import type { OriginPatch, RegisteredOrigin } from "../services/regions/origin-registry";

const REGION = /^[a-z][a-z0-9-]{0,31}$/;
const list = <T extends z.ZodType>(item: T) => z.array(item).max(64);

const settings = {
  url: z.url({ protocol: /^https?$/ }).max(2048),
  continents: list(z.string().regex(/^[A-Z0-9]{2}$/, "must be a continent code such as 'NA'")),
  colos: list(z.string().regex(/^[A-Z]{3}$/, "must be a colo (IATA) code such as 'IAD'")),
  weight: z.number().min(0).max(1_000_000),
  models: list(z.string().regex(MODEL_ID_PATTERN)),
  state: z.enum(ORIGIN_STATES),
};

export const CreateOriginSchema = z
  .strictObject({
    region: z.string().regex(REGION, "must be a region tag such as 'eu' or 'eu-west'"),
    url: settings.url,
    continents: settings.continents.optional(),
    colos: settings.colos.optional(),
    weight: settings.weight.optional(),
    models: settings.models.optional(),
    state: settings.state.optional(),
  })
  .openapi("CreateOrigin");

export const PatchOriginSchema = z
  .strictObject({
    url: settings.url.optional(),
    continents: settings.continents.optional(),
    colos: settings.colos.optional(),
    weight: settings.weight.optional(),
    models: settings.models.optional(),
    state: settings.state.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, "must set at least one field")
  .openapi("PatchOrigin");

export const OriginParams = z.object({ region: z.string().regex(REGION) });

const OriginFields = {
  object: z.literal("origin"),
  region: z.string(),
  ...settings,
  url: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
};

export const OriginSchema = z.object(OriginFields).openapi("Origin");

const HealthSchema = z
  .object({
    ready: z.boolean().nullable(),
    breaker: z.enum(["closed", "open", "half_open"]),
    consecutive_failures: z.number().int(),
    opened_at: z.string().nullable(),
    last_probe_at: z.string().nullable(),
    load: LoadReportSchema.nullable(),
  })
  .openapi("OriginHealth");

export const OriginWithHealthSchema = z
  .object({ ...OriginFields, health: HealthSchema })
  .openapi("OriginWithHealth");

export const OriginListSchema = z
  .object({ object: z.literal("list"), data: z.array(OriginWithHealthSchema) })
  .openapi("OriginList");

export const DeletedOriginSchema = z
  .object({ region: z.string(), deleted: z.literal(true) })
  .openapi("DeletedOrigin");

export function toPatch(body: z.infer<typeof PatchOriginSchema>): OriginPatch {
  return { ...body };
}

export function presentOrigin(o: RegisteredOrigin): z.infer<typeof OriginSchema> {
  return {
    object: "origin",
    region: o.region,
    url: o.url,
    continents: o.continents,
    colos: o.colos,
    weight: o.weight,
    models: o.models,
    state: o.state,
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The board's view of an origin, as the board itself judges it (not any isolate's local overlay). */
export function presentHealth(
  health: OriginHealth | undefined,
  policy: BreakerPolicy,
  now: number,
): z.infer<typeof HealthSchema> {
  const breaker = health?.breaker ?? closedBreaker(now);
  return {
    ready: health?.ready ?? null,
    breaker: breakerState(breaker, policy, now),
    consecutive_failures: breaker.consecutiveFailures,
    opened_at: breaker.state === "open" ? iso(breaker.openedAt) : null,
    last_probe_at: iso(health?.lastProbeAt ?? null),
    load: health?.load ?? null,
  };
}
