// Test helpers: call the Worker in-process with real bindings and wait for its deferred work (audit, cache).
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../index";

export const ADMIN_TOKEN = "dev-admin-token";

export interface CallOptions {
  method?: string;
  headers?: HeadersInit;
  /** Serialised as JSON with Content-Type application/json. */
  json?: unknown;
  body?: BodyInit;
  /** Bearer credential: an API key, or the admin token. */
  token?: string;
  /** Bindings to override for this call only, e.g. ORIGINS pointing at a fake origin. */
  bindings?: Partial<Cloudflare.Env>;
}

/** Runs one request through the Worker and settles its waitUntil work before returning. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    requestFor(path, options),
    { ...env, ...options.bindings },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

function requestFor(path: string, options: CallOptions): Request {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  let body = options.body;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  }
  return new Request(`https://edge.test${path}`, {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    headers,
    body,
  });
}

/**
 * Runs one request and hands back its response as soon as the Worker answers, with its waitUntil
 * work (the audit write) possibly still running: what a client sees that sends its next request
 * the moment it has an answer. Await `done` before reading what that deferred work wrote.
 */
export async function callEagerly(
  path: string,
  options: CallOptions = {},
): Promise<{ response: Response; done: Promise<void> }> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    requestFor(path, options),
    { ...env, ...options.bindings },
    ctx,
  );
  return { response, done: waitOnExecutionContext(ctx) };
}

export async function callJson<T = Record<string, unknown>>(
  path: string,
  options: CallOptions = {},
): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await call(path, options);
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

export const adminCall = <T = Record<string, unknown>>(path: string, options: CallOptions = {}) =>
  callJson<T>(path, { token: ADMIN_TOKEN, ...options });

export async function createTenant(fields: Record<string, unknown> = {}): Promise<{ id: string }> {
  const { status, body } = await adminCall<{ id: string }>("/admin/tenants", {
    json: { name: "Acme", ...fields },
  });
  if (status !== 201) throw new Error(`tenant creation failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function issueKey(
  tenantId: string,
): Promise<{ id: string; key: string; prefix: string }> {
  const { status, body } = await adminCall<{ id: string; key: string; prefix: string }>(
    `/admin/tenants/${tenantId}/keys`,
    { method: "POST", json: { name: "ci" } },
  );
  if (status !== 201) throw new Error(`key creation failed: ${status} ${JSON.stringify(body)}`);
  return body;
}

export interface ErrorEnvelope {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string;
    request_id: string | null;
  };
}
