// GET /v1/models lists the configured model ids, and `model` accepts exactly those plus "default".
import { afterEach, describe, expect, it, vi } from "vitest";
import { installFakeOrigin } from "../test/fake-origin";
import { generate, tenantWithKey } from "../test/generation";
import { callJson, type ErrorEnvelope } from "../test/harness";

afterEach(() => vi.restoreAllMocks());

type ModelList = { object: string; data: { id: string; object: string }[] };

describe("GET /v1/models", () => {
  it("lists tiny-sd by default and the MODELS list when configured", async () => {
    const { key } = await tenantWithKey();
    const list = await callJson<ModelList>("/v1/models", { token: key });
    expect(list.body).toMatchObject({ object: "list", data: [{ id: "tiny-sd", object: "model" }] });
    const configured = await callJson<ModelList>("/v1/models", {
      token: key,
      bindings: { MODELS: '["sd-turbo","tiny-sd"]' },
    });
    expect(configured.body.data.map((m) => m.id)).toEqual(["sd-turbo", "tiny-sd"]);
  });

  it("accepts a configured id as `model` and refuses one that is not listed", async () => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey();
    const bindings = { MODELS: '["sd-turbo"]' };
    const res = await generate(key, { prompt: "a fish", model: "sd-turbo" }, { bindings });
    expect(res.status).toBe(200);
    expect(origin.calls[0]?.body.model).toBe("sd-turbo");
    const refused = await generate(key, { prompt: "a fish", model: "tiny-sd" }, { bindings });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorEnvelope).error.param).toBe("model");
  });
});
