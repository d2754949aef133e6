// wrangler.toml as wrangler itself reads it: [env.*] sections inherit no bindings or vars, so each
// environment must repeat every binding the Worker uses (edge/env.ts), and deploy without warnings.

import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { unstable_readConfig } from "wrangler";
import { DEFAULT_MODEL_IDS, modelIds } from "../edge/services/models/model-catalog";

/** The parts of wrangler's resolved config this test reads. */
interface Config {
  name: string;
  vars: Record<string, unknown>;
  d1_databases: Array<{ binding: string; database_name?: string; migrations_dir?: string }>;
  kv_namespaces: Array<{ binding: string }>;
  r2_buckets: Array<{ binding: string; bucket_name?: string }>;
  durable_objects: { bindings: Array<{ name: string; class_name: string }> };
  ratelimits: Array<{
    name: string;
    namespace_id: string;
    simple: { limit: number; period: number };
  }>;
  migrations: Array<{ new_sqlite_classes?: string[] }>;
  triggers: { crons?: string[] };
  observability?: { enabled?: boolean };
}

/** The config of `env` (undefined: local development) and whatever wrangler warned about it. */
function read(env: string | undefined): { config: Config; warnings: string[] } {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  const config = unstable_readConfig({ config: "wrangler.toml", env }) as unknown as Config;
  const warnings = warn.mock.calls.map((call) => call.map(String).join(" "));
  return { config, warnings };
}

/** Every `[env.NAME]` of wrangler.toml, so an environment added later is checked too. */
function deployedEnvironments(): string[] {
  const toml = readFileSync("wrangler.toml", "utf8");
  return [...toml.matchAll(/^\[env\.([A-Za-z0-9_-]+)\]$/gm)].map((m) => m[1]!);
}

afterEach(() => {
  vi.restoreAllMocks();
});

const DURABLE_OBJECTS = {
  TENANT_GATE: "TenantGate",
  REGION_BOARD: "RegionBoard",
  JOBS: "GenerationJob",
};

describe("wrangler.toml", () => {
  for (const env of [undefined, "staging", "production"]) {
    const name = env ?? "development";
    it(`${name}: binds everything the Worker uses, without warnings`, () => {
      const { config, warnings } = read(env);
      expect(warnings).toEqual([]);
      expect(config.d1_databases.map((d) => d.binding)).toEqual(["DB"]);
      expect(config.d1_databases[0]?.migrations_dir).toBe("migrations");
      expect(config.kv_namespaces.map((k) => k.binding)).toEqual(["KEYS_CACHE"]);
      expect(config.r2_buckets.map((r) => r.binding)).toEqual(["IMAGES"]);
      const objects = Object.fromEntries(
        config.durable_objects.bindings.map((b) => [b.name, b.class_name]),
      );
      expect(objects).toEqual(DURABLE_OBJECTS);
      expect(config.ratelimits.map((r) => r.name)).toEqual(["KEY_LOOKUP_LIMIT"]);
      expect(config.triggers.crons?.length).toBeGreaterThan(0);
      expect(config.vars.ENVIRONMENT).toBe(name);
      const origins = JSON.parse(String(config.vars.ORIGINS)) as Array<{
        region: string;
        url: string;
      }>;
      expect(origins.length).toBeGreaterThan(0);
      for (const origin of origins) {
        expect(origin.region).toMatch(/^[a-z0-9-]+$/);
        expect(new URL(origin.url).protocol).toBe(env ? "https:" : "http:");
      }
    });
  }

  it("keeps each deployed environment's resources apart from the others", () => {
    const names = (config: Config) => [
      config.name,
      config.d1_databases[0]?.database_name,
      config.r2_buckets[0]?.bucket_name,
    ];
    const [dev, staging, production] = [undefined, "staging", "production"].map((env) =>
      names(read(env).config),
    );
    for (let i = 0; i < 3; i++) {
      expect(new Set([dev![i], staging![i], production![i]]).size).toBe(3);
    }
  });

  it("limits D1 key lookups per address in every environment, each with its own counters", () => {
    // Read, not imported: the middleware's imports are Workers code, outside this project's types.
    const retryAfter = /LOOKUP_LIMIT_RETRY_AFTER_S = (\d+);/.exec(
      readFileSync("edge/middleware/api-key-auth.ts", "utf8"),
    )?.[1];
    expect(
      retryAfter,
      "edge/middleware/api-key-auth.ts sets LOOKUP_LIMIT_RETRY_AFTER_S",
    ).toBeDefined();
    const environments = [undefined, ...deployedEnvironments()];
    const limits = environments.map((env) => read(env).config.ratelimits[0]);
    for (const [i, limit] of limits.entries()) {
      const name = environments[i] ?? "development";
      // The 429's Retry-After promises the window is over by then.
      expect(limit?.simple.period, name).toBe(Number(retryAfter));
      // Above what a legitimate client sends: only keys no cache holds count.
      expect(limit?.simple.limit, name).toBeGreaterThanOrEqual(100);
      expect(limit?.namespace_id, name).toMatch(/^[1-9][0-9]*$/);
    }
    expect(new Set(limits.map((l) => l?.namespace_id)).size).toBe(environments.length);
  });

  it("accepts insecure webhook URLs in development only", () => {
    expect(read(undefined).config.vars.WEBHOOK_ALLOW_INSECURE).toBe("true");
    for (const env of ["staging", "production"]) {
      expect(read(env).config.vars.WEBHOOK_ALLOW_INSECURE).toBe("false");
    }
  });

  it("lists in every deployed environment the models its origins serve, not the dev model", () => {
    // The id infra/k8s/origin.yaml deploys the origins' model under (DARKROOM_MODEL_ID): the edge
    // routes a `model` only to origins that report that id.
    const origin = /DARKROOM_MODEL_ID, value: "?([^"\s}]+)"?/.exec(
      readFileSync("infra/k8s/origin.yaml", "utf8"),
    )?.[1];
    expect(origin, "infra/k8s/origin.yaml sets DARKROOM_MODEL_ID").toBeDefined();
    const environments = deployedEnvironments();
    expect(environments).toEqual(expect.arrayContaining(["staging", "production"]));
    for (const env of environments) {
      const raw = read(env).config.vars.MODELS;
      expect(typeof raw, `${env} sets MODELS`).toBe("string");
      // The edge's own parser: a malformed list or id would throw on the first request.
      const ids = modelIds(raw as string);
      expect(
        ids.filter((id) => DEFAULT_MODEL_IDS.includes(id)),
        env,
      ).toEqual([]);
      expect(ids, env).toContain(origin);
    }
  });

  it("keeps Workers Logs on in every deployed environment", () => {
    for (const env of deployedEnvironments()) {
      expect(read(env).config.observability?.enabled, env).toBe(true);
    }
  });

  it("creates every Durable Object class as SQLite-backed", () => {
    const classes = read("production").config.migrations.flatMap((m) => m.new_sqlite_classes ?? []);
    expect(classes.sort()).toEqual(Object.values(DURABLE_OBJECTS).sort());
  });
});
