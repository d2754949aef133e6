// The shape of a bad-input case and the builders the tables share.
import type { ErrorCode } from "../../protocol/errors";
/** Who calls: a live key of a tenant with every tier, one limited to `fast`, a revoked key, the admin. */
export type Caller = "key" | "fast_only" | "revoked" | "admin" | "none" | { raw: string };

export interface BadCase {
  name: string;
  method?: string;
  path?: string;
  caller?: Caller;
  /** Extra headers, as pairs so that one name may repeat. */
  headers?: [string, string][];
  /** A raw body; sent with Content-Type application/json unless `headers` sets one. */
  body?: string | Uint8Array | (() => ReadableStream<Uint8Array>);
  json?: unknown;
  status: number;
  code: ErrorCode;
  /** When set, `error.param` must equal it. */
  param?: string | null;
}

export const GEN = "/v1/images/generations";
export const ok = { prompt: "a lighthouse at dusk" };
export const gen = (
  name: string,
  json: unknown,
  status: number,
  code: ErrorCode,
  param?: string | null,
) => ({ name, json, status, code, param }) satisfies BadCase;
export const raw = (name: string, body: string, param?: string | null) =>
  ({ name, body, status: 400, code: "invalid_request", param }) satisfies BadCase;
export const invalid = (field: string, value: unknown, label = JSON.stringify(value)) =>
  gen(`${field} = ${label.slice(0, 40)}`, { ...ok, [field]: value }, 400, "invalid_request", field);
