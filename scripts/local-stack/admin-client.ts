// A small client for the edge's admin API (tenants, keys, any admin call) and a key check, used to seed local stacks.

export interface CreatedTenant {
  id: string;
  name: string;
  rate_limit_per_minute: number;
  max_concurrency: number;
  monthly_image_quota: number;
}

export interface IssuedKey {
  id: string;
  key: string;
  prefix: string;
  tenant_id: string;
}

export interface TenantSettings {
  name: string;
  rate_limit_per_minute?: number;
  max_concurrency?: number;
  monthly_image_quota?: number;
  allowed_tiers?: string[];
}

async function adminPost<T>(
  edgeUrl: string,
  token: string,
  path: string,
  body: unknown,
): Promise<T> {
  const response = await fetch(`${edgeUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status !== 201) {
    const hint =
      response.status === 401
        ? " The edge refused the admin token: ADMIN_TOKEN must match the one the edge was started with."
        : "";
    throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 500)}.${hint}`);
  }
  return JSON.parse(text) as T;
}

export interface AdminAnswer {
  status: number;
  /** The parsed JSON body, or null when there was none (or it was not JSON). */
  body: unknown;
}

/** One admin call with the status as a value: callers decide which statuses are expected. */
export async function adminCall(
  edgeUrl: string,
  token: string,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
): Promise<AdminAnswer> {
  const response = await fetch(`${edgeUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed };
}

export function createTenant(edgeUrl: string, token: string, settings: TenantSettings) {
  return adminPost<CreatedTenant>(edgeUrl, token, "/admin/tenants", settings);
}

export function issueKey(edgeUrl: string, token: string, tenantId: string, name = "local") {
  return adminPost<IssuedKey>(
    edgeUrl,
    token,
    `/admin/tenants/${encodeURIComponent(tenantId)}/keys`,
    { name },
  );
}

/** The model ids `GET /v1/models` lists for this key, or null when the key does not work. */
export async function modelsForKey(edgeUrl: string, key: string): Promise<string[] | null> {
  try {
    const response = await fetch(`${edgeUrl}/v1/models`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 200) {
      await response.arrayBuffer();
      return null;
    }
    const body = (await response.json()) as { data?: Array<{ id?: unknown }> };
    return (body.data ?? []).map((m) => String(m.id));
  } catch {
    return null;
  }
}
