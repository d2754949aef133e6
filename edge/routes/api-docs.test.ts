// /openapi.json comes from the same zod schemas the routes validate with; /docs lists every operation.
import { describe, expect, it } from "vitest";
import { call } from "../test/harness";

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown[] }>>;
  components: {
    schemas: Record<
      string,
      { properties?: Record<string, unknown>; additionalProperties?: unknown }
    >;
  };
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
