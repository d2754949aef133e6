// Bad-input cases about access: missing, malformed and revoked credentials, the admin token, tiers, routes.
import { type BadCase, ok } from "./bad-input-case";

const auth: BadCase[] = [
  { name: "no Authorization", caller: "none", json: ok, status: 401, code: "missing_api_key" },
  {
    name: "Basic credentials",
    caller: { raw: "Basic dXNlcjpwYXNz" },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "Bearer with no token",
    caller: { raw: "Bearer" },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "Bearer with two tokens",
    caller: { raw: "Bearer drk_a drk_b" },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "unknown well-formed key",
    caller: { raw: `Bearer drk_${"Z".repeat(40)}` },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "an OpenAI-style key",
    caller: { raw: `Bearer sk-${"a".repeat(48)}` },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  { name: "a revoked key", caller: "revoked", json: ok, status: 401, code: "invalid_api_key" },
  {
    name: "the admin token as an API key",
    caller: "admin",
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "usage with no key",
    caller: "none",
    method: "GET",
    path: "/v1/usage",
    status: 401,
    code: "missing_api_key",
  },
  {
    name: "image with a bad key",
    caller: { raw: "Bearer nope" },
    method: "GET",
    path: "/v1/images/img_x",
    status: 401,
    code: "invalid_api_key",
  },
];

const admin: BadCase[] = [
  {
    name: "admin: wrong token",
    caller: { raw: "Bearer not-the-admin-token" },
    method: "GET",
    path: "/admin/audit",
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "admin: an API key",
    caller: "key",
    method: "GET",
    path: "/admin/audit",
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "admin: no token",
    caller: "none",
    method: "GET",
    path: "/admin/audit",
    status: 401,
    code: "missing_api_key",
  },
  {
    name: "admin: limit=abc",
    caller: "admin",
    method: "GET",
    path: "/admin/audit?limit=abc",
    status: 400,
    code: "invalid_request",
    param: "limit",
  },
  {
    name: "admin: extra tenant field",
    caller: "admin",
    path: "/admin/tenants",
    json: { name: "x", is_admin: true },
    status: 400,
    code: "invalid_request",
    param: "is_admin",
  },
];

const routing: BadCase[] = [
  { name: "POST with no body at all", status: 400, code: "invalid_request" },
  { name: "GET on the generation route", method: "GET", status: 404, code: "not_found" },
  { name: "DELETE on the generation route", method: "DELETE", status: 404, code: "not_found" },
  {
    name: "tier the tenant may not use",
    caller: "fast_only",
    json: { ...ok, tier: "quality" },
    status: 403,
    code: "tier_not_allowed",
    param: "tier",
  },
  {
    name: "default tier the tenant may not use",
    caller: "fast_only",
    json: ok,
    status: 403,
    code: "tier_not_allowed",
    param: "quality",
  },
  {
    name: "image id of the wrong shape",
    method: "GET",
    path: "/v1/images/not-an-id",
    status: 404,
    code: "not_found",
  },
  {
    name: "image id of 1000 characters",
    method: "GET",
    path: `/v1/images/img_${"a".repeat(1000)}`,
    status: 404,
    code: "not_found",
  },
  {
    name: "an unknown /v1 route",
    method: "GET",
    path: "/v1/images/edits/x/y",
    status: 404,
    code: "not_found",
  },
];

export const ACCESS_CASES: BadCase[] = [...auth, ...admin, ...routing];
