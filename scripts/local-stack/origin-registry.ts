// The edge's origins registry over its admin API: list, register (upsert), change, remove and probe origins.
import { adminCall } from "./admin-client";
import { edgeFacingUrlOf, type LocalStackConfig, type OriginRegistryFields } from "./stack-config";

export type BreakerState = "closed" | "open" | "half_open";

export interface OriginHealth {
  ready: boolean;
  breaker: BreakerState;
  consecutive_failures: number;
  opened_at: string | number | null;
  last_probe_at: string | number | null;
  load: unknown;
}

export interface RegisteredOrigin extends OriginRegistryFields {
  region: string;
  url: string;
  health?: OriginHealth;
}

const ORIGINS_PATH = "/admin/origins";
const one = (region: string) => `${ORIGINS_PATH}/${encodeURIComponent(region)}`;

function expect(status: number, wanted: number[], what: string, body: unknown) {
  if (wanted.includes(status)) return;
  const hint = status === 401 ? " (ADMIN_TOKEN must match the edge's)" : "";
  throw new Error(`${what} answered ${status}${hint}: ${JSON.stringify(body).slice(0, 400)}`);
}

/** True when the edge has the registry's admin route (an edge without it answers 404). */
export async function hasOriginRegistry(edgeUrl: string, token: string): Promise<boolean> {
  const { status, body } = await adminCall(edgeUrl, token, "GET", ORIGINS_PATH);
  if (status === 404) return false;
  expect(status, [200], `GET ${ORIGINS_PATH}`, body);
  return true;
}

export async function listOrigins(edgeUrl: string, token: string): Promise<RegisteredOrigin[]> {
  const { status, body } = await adminCall(edgeUrl, token, "GET", ORIGINS_PATH);
  expect(status, [200], `GET ${ORIGINS_PATH}`, body);
  return (body as { data: RegisteredOrigin[] }).data;
}

/** Runs the active health probe now (what the cron does) and returns the list it produced. */
export async function probeOrigins(edgeUrl: string, token: string): Promise<RegisteredOrigin[]> {
  const { status, body } = await adminCall(edgeUrl, token, "POST", `${ORIGINS_PATH}/probe`);
  expect(status, [200], `POST ${ORIGINS_PATH}/probe`, body);
  return (body as { data: RegisteredOrigin[] }).data;
}

export async function patchOrigin(
  edgeUrl: string,
  token: string,
  region: string,
  fields: OriginRegistryFields & { url?: string },
): Promise<RegisteredOrigin> {
  const { status, body } = await adminCall(edgeUrl, token, "PATCH", one(region), fields);
  expect(status, [200], `PATCH ${one(region)}`, body);
  return body as RegisteredOrigin;
}

export async function removeOrigin(edgeUrl: string, token: string, region: string) {
  const { status, body } = await adminCall(edgeUrl, token, "DELETE", one(region));
  expect(status, [200, 204, 404], `DELETE ${one(region)}`, body);
}

/** Creates the entry, or brings an existing one (persisted local state) up to date. */
export async function upsertOrigin(
  edgeUrl: string,
  token: string,
  entry: OriginRegistryFields & { region: string; url: string },
): Promise<void> {
  const { region, ...fields } = entry;
  const found = await adminCall(edgeUrl, token, "GET", one(region));
  if (found.status === 200) {
    await patchOrigin(edgeUrl, token, region, fields);
    return;
  }
  expect(found.status, [404], `GET ${one(region)}`, found.body);
  const { status, body } = await adminCall(edgeUrl, token, "POST", ORIGINS_PATH, entry);
  expect(status, [201], `POST ${ORIGINS_PATH}`, body);
}

/**
 * Registers the stack's origins (their edge-facing URLs: the chaos proxy where there is one), in
 * config order. Entries for other regions are left alone. Returns false when the edge has no registry.
 */
export async function registerStackOrigins(config: LocalStackConfig, edgeUrl: string) {
  if (!(await hasOriginRegistry(edgeUrl, config.adminToken))) return false;
  for (const origin of config.origins) {
    await upsertOrigin(edgeUrl, config.adminToken, {
      ...origin.registry,
      region: origin.region,
      url: edgeFacingUrlOf(origin),
    });
  }
  return true;
}
