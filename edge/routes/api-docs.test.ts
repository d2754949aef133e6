// /openapi.json comes from the same zod schemas the routes validate with; /docs lists every operation.
import { describe, expect, it } from "vitest";
import { type ErrorCode, statusOf } from "../../protocol/errors";
import { TIER_SPECS, TIERS } from "../../protocol/tiers";
import { call } from "../test/harness";

interface PropertyDoc {
  enum?: unknown[];
  nullable?: boolean;
  type?: string;
  minimum?: number;
  maximum?: number;
}

interface ErrorResponseDoc {
  description: string;
  content?: {
    "application/json"?: {
      schema?: { properties?: { error?: { properties?: { code?: { enum?: ErrorCode[] } } } } };
    };
  };
}

interface OperationDoc {
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, ErrorResponseDoc>;
}

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OperationDoc>>;
  components: {
    schemas: Record<
      string,
      { properties?: Record<string, PropertyDoc>; additionalProperties?: unknown }
    >;
  };
}

async function openApiDoc(): Promise<OpenApiDoc> {
  const res = await call("/openapi.json");
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApiDoc;
}

/** Every error response of every operation: where, its status, and the codes its schema allows. */
function errorResponsesOf(doc: OpenApiDoc) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, op]) =>
      Object.entries(op.responses)
        .filter(([status]) => Number(status) >= 400)
        .map(([status, response]) => ({
          where: `${method.toUpperCase()} ${path} ${status}`,
          op,
          status: Number(status),
          description: response.description,
          codes:
            response.content?.["application/json"]?.schema?.properties?.error?.properties?.code
              ?.enum ?? [],
        })),
    ),
  );
}

describe("api docs", () => {
  it("serves an OpenAPI document covering the admin API with its request schemas", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApiDoc;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/admin/tenants",
        "/admin/tenants/{id}",
        "/admin/tenants/{id}/keys",
        "/admin/keys/{id}",
        "/admin/audit",
        "/v1/models",
        "/v1/images/generations",
        "/v1/images/{image_id}",
        "/v1/usage",
      ]),
    );
    const generation = doc.components.schemas.CreateImageRequest;
    expect(Object.keys(generation?.properties ?? {})).toEqual(
      expect.arrayContaining(["prompt", "size", "seed", "tier", "background", "style"]),
    );
    expect(generation?.additionalProperties).toBe(false);
    expect(Object.keys(doc.paths["/admin/tenants/{id}"] ?? {})).toEqual(
      expect.arrayContaining(["get", "patch"]),
    );
    const create = doc.components.schemas.CreateTenant;
    expect(Object.keys(create?.properties ?? {})).toContain("rate_limit_per_minute");
    expect(create?.additionalProperties).toBe(false);
    expect(doc.paths["/admin/tenants"]?.post?.security).toEqual([{ adminToken: [] }]);
  });

  it("documents the values validation accepts: nothing it always refuses, ranges as enforced", async () => {
    const doc = await openApiDoc();
    const generation = doc.components.schemas.CreateImageRequest?.properties ?? {};
    expect(generation.background?.enum).toEqual(expect.arrayContaining(["auto", "opaque"]));
    expect(generation.background?.enum).not.toContain("transparent");
    expect(generation.moderation?.enum).not.toContain("low");
    for (const field of ["style", "output_compression"]) {
      expect(generation[field], field).toMatchObject({ enum: [null], nullable: true });
      expect(generation[field]?.type, field).toBeDefined();
    }
    expect(generation.steps).toMatchObject({
      minimum: Math.min(...TIERS.map((tier) => TIER_SPECS[tier].minSteps)),
      maximum: Math.max(...TIERS.map((tier) => TIER_SPECS[tier].maxSteps)),
    });
    expect(generation.steps?.maximum).toBe(50);
    const job = doc.components.schemas.CreateImageJobRequest?.properties ?? {};
    expect(job.response_format?.enum).toContain("url");
    expect(job.response_format?.enum).not.toContain("b64_json");
  });

  it("lists every code each error status can carry, in its description and its schema", async () => {
    const doc = await openApiDoc();
    const errors = errorResponsesOf(doc);
    for (const { where, status, description, codes } of errors) {
      expect(codes.length, where).toBeGreaterThan(0);
      expect(description.split(", ").sort(), where).toEqual([...codes].sort());
      for (const code of codes) expect(statusOf(code), `${where} ${code}`).toBe(status);
    }
    const generation = (status: number) =>
      errors.find((e) => e.where === `POST /v1/images/generations ${status}`)?.codes;
    expect(generation(429)).toEqual(
      expect.arrayContaining([
        "rate_limit_exceeded",
        "insufficient_quota",
        "concurrency_limit",
        "overloaded",
      ]),
    );
    const jobs429 = errors.find((e) => e.where === "POST /v1/images/jobs 429")?.codes;
    expect(jobs429).toEqual(
      expect.arrayContaining(["rate_limit_exceeded", "insufficient_quota", "concurrency_limit"]),
    );
    const unauthorized = errors.filter((e) => e.status === 401);
    expect(unauthorized.length).toBeGreaterThan(10);
    for (const { where, codes } of unauthorized) {
      expect(codes, where).toEqual(expect.arrayContaining(["missing_api_key", "invalid_api_key"]));
    }
  });

  it("renders a reference page listing each operation, without any external script", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("POST /admin/tenants");
    expect(html).toContain("DELETE /admin/keys/{id}");
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
