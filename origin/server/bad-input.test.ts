// Every malformed protocol request gets its documented 4xx in the error shape, naming the field.
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorBodySchema } from "../../protocol/errors";
import { loadTinyPipeline, readyOriginApp, validRequest } from "../../test/support/origin-fixtures";
import { signedInit } from "../../test/support/signed-request";
import type { DiffusionPipeline } from "../engine/pipeline";

const GENERATE = "/internal/v1/generate";
let pipeline: DiffusionPipeline;
beforeAll(async () => {
  pipeline = await loadTinyPipeline();
});

const app = () => readyOriginApp(pipeline);

const without = (key: string) => {
  const r: Record<string, unknown> = { ...validRequest() };
  delete r[key];
  return r;
};

type Case = [name: string, body: () => unknown, param: string | null];
const invalid: Case[] = [
  ["size outside the tier's buckets", () => validRequest({ width: 1024, height: 1024 }), "width"],
  ["size not a multiple of 64", () => validRequest({ width: 250, height: 250 }), "width"],
  ["fast steps above range", () => validRequest({ steps: 5 }), "steps"],
  [
    "quality steps below range",
    () => validRequest({ tier: "quality", scheduler: "ddim", guidance_scale: 7, steps: 2 }),
    "steps",
  ],
  ["zero steps", () => validRequest({ steps: 0 }), "steps"],
  ["fractional steps", () => validRequest({ steps: 1.5 }), "steps"],
  ["n = 0", () => validRequest({ n: 0 }), "n"],
  ["n = 5", () => validRequest({ n: 5 }), "n"],
  ["prompt over 4000 characters", () => validRequest({ prompt: "a".repeat(4001) }), "prompt"],
  ["empty prompt", () => validRequest({ prompt: "" }), "prompt"],
  ["unpaired surrogate in prompt", () => validRequest({ prompt: "fox \uD800 den" }), "prompt"],
  ["unknown scheduler", () => validRequest({ scheduler: "dpm++" as never }), "scheduler"],
  ["scheduler not in tier", () => validRequest({ scheduler: "ddim" }), "scheduler"],
  ["unknown tier", () => validRequest({ tier: "turbo" as never }), "tier"],
  ["negative seed", () => validRequest({ seed: -1 }), "seed"],
  ["seed above uint32", () => validRequest({ seed: 2 ** 32 }), "seed"],
  ["fractional seed", () => validRequest({ seed: 1.5 }), "seed"],
  ["seed as string", () => validRequest({ seed: "7" as never }), "seed"],
  ["guidance on the fast tier", () => validRequest({ guidance_scale: 7 }), "guidance_scale"],
  [
    "guidance above 30",
    () => validRequest({ tier: "quality", scheduler: "ddim", steps: 8, guidance_scale: 31 }),
    "guidance_scale",
  ],
  ["unknown output format", () => validRequest({ output_format: "gif" as never }), "output_format"],
  ["missing prompt", () => without("prompt"), "prompt"],
  ["missing request_id", () => without("request_id"), "request_id"],
  ["missing tier", () => without("tier"), "tier"],
  ["missing deadline", () => without("deadline_ms"), "deadline_ms"],
  ["prompt as number", () => validRequest({ prompt: 42 as never }), "prompt"],
  ["n as string", () => validRequest({ n: "2" as never }), "n"],
  ["unknown field", () => ({ ...validRequest(), style: "vivid" }), "style"],
  ["model not served here", () => validRequest({ model: "sdxl" }), "model"],
  ["array body", () => [validRequest()], null],
  ["null body", () => null, null],
];

describe("bad input → 400 invalid_request naming the field", () => {
  it.each(invalid)("%s", async (_name, body, param) => {
    const text = JSON.stringify(body());
    const res = await app().request(GENERATE, await signedInit(GENERATE, text));
    expect(res.status).toBe(400);
    const json = ErrorBodySchema.parse(await res.json());
    expect(json.error.code).toBe("invalid_request");
    expect(json.error.param).toBe(param);
    expect(json.error.message).not.toMatch(/\n\s+at /);
  });
});

describe("transport-level bad input", () => {
  it("non-JSON body → 400", async () => {
    const res = await app().request(GENERATE, await signedInit(GENERATE, "{not json"));
    expect(res.status).toBe(400);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe("invalid_request");
  });

  it("body over 64 KiB → 413 before verification or parsing", async () => {
    const big = JSON.stringify({ ...validRequest(), prompt: "x".repeat(70 * 1024) });
    const res = await app().request(GENERATE, await signedInit(GENERATE, big));
    expect(res.status).toBe(413);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe("payload_too_large");
  });

  it("wrong content type → 415", async () => {
    const body = JSON.stringify(validRequest());
    const res = await app().request(
      GENERATE,
      await signedInit(GENERATE, body, { contentType: "text/plain" }),
    );
    expect(res.status).toBe(415);
  });

  it("unknown route → 404 in the error shape", async () => {
    const res = await app().request("/nope");
    expect(res.status).toBe(404);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe("not_found");
  });
});
