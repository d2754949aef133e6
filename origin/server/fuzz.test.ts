// Generated, correctly signed protocol requests against the origin on the real tiny pipeline
// (fast-check): a success with n images, or a 4xx in the error shape, never a 5xx and never a stack.
// bad-input.test.ts pins each hand-written case's exact answer; this finds the ones nobody wrote.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorBodySchema, type ErrorCode, statusOf } from "../../protocol/errors";
import { GenerateResponseSchema, parseSse } from "../../protocol/events";
import { OUTPUT_FORMATS, SCHEDULERS, TIERS } from "../../protocol/tiers";
import { loadTinyPipeline, readyOriginApp, validRequest } from "../../test/support/origin-fixtures";
import { signedInit } from "../../test/support/signed-request";

const GENERATE = "/internal/v1/generate";
let app: ReturnType<typeof readyOriginApp>;

beforeAll(async () => {
  app = readyOriginApp(await loadTinyPipeline());
});

const wild = fc.jsonValue({ maxDepth: 3 });
const oddText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("\u202e evil", "\ud800", "a\u0000b", "x".repeat(4001), ""),
);

/** Plausible values, kept to what the tiny model answers in milliseconds (fast tier, small sizes). */
const fields: Record<string, fc.Arbitrary<unknown>> = {
  tier: fc.constantFrom("fast", "fast", ...TIERS, "turbo"),
  model: fc.constantFrom("default", "tiny-sd", "sdxl"),
  prompt: fc.oneof(fc.constantFrom("a red circle", "a blue square"), oddText),
  negative_prompt: oddText,
  n: fc.integer({ min: 1, max: 2 }),
  width: fc.constantFrom(256, 512, 250),
  height: fc.constantFrom(256, 512),
  steps: fc.integer({ min: 1, max: 4 }),
  guidance_scale: fc.constantFrom(0, 0, 7),
  seed: fc.nat({ max: 2 ** 32 - 1 }),
  scheduler: fc.constantFrom(...SCHEDULERS),
  output_format: fc.constantFrom(...OUTPUT_FORMATS),
  priority: fc.integer({ min: 0, max: 9 }),
  store_prompt: fc.boolean(),
  allow_degrade: fc.boolean(),
  preview_every: fc.integer({ min: 0, max: 3 }),
  resume: fc.record({ request_id: fc.constant("req-never-seen"), from_step: fc.nat(3) }),
  safety: fc.record({ decision: fc.constant("allow"), policy_version: fc.constant("1") }),
};

/** A valid request with a few fields redrawn, then up to two mutations to any JSON at all. */
const body = fc
  .tuple(
    fc
      .subarray(Object.keys(fields), { maxLength: 4 })
      .chain((names) =>
        fc.record(Object.fromEntries(names.map((n) => [n, fields[n] as fc.Arbitrary<unknown>]))),
      ),
    fc.array(fc.tuple(fc.constantFrom(...Object.keys(validRequest()), "style"), fc.option(wild)), {
      maxLength: 2,
    }),
  )
  .map(([redrawn, mutations]) => {
    const request: Record<string, unknown> = { ...validRequest(), ...redrawn };
    for (const [name, value] of mutations) {
      if (value === null) delete request[name];
      else request[name] = value;
    }
    return request;
  });

describe("generated protocol requests", { timeout: 120_000 }, () => {
  it("POST /internal/v1/generate: n images, or a 4xx naming a field the request has or lacks", async () => {
    const seen = { success: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (request, events) => {
        const init = await signedInit(GENERATE, JSON.stringify(request));
        if (events) init.headers = { ...init.headers, accept: "text/event-stream" };
        const res = await app.request(GENERATE, init);
        const text = await res.text();
        expect(text).not.toMatch(/\n\s+at /);
        if (res.status === 200 && events) {
          seen.success++;
          const last = parseSse(text).messages.at(-1);
          expect(last?.event, text.slice(-300)).toMatch(/^(completed|failed)$/);
          if (last?.event === "failed") {
            // Refusals found once the stream is open (an unknown resume source) end it this way.
            const { error } = JSON.parse(last.data) as { error: { code: ErrorCode } };
            expect(statusOf(error.code), last.data).toBeLessThan(500);
          }
          return;
        }
        if (res.status === 200) {
          seen.success++;
          const answer = GenerateResponseSchema.parse(JSON.parse(text));
          expect(answer.images).toHaveLength(request.n as number);
          return;
        }
        seen.refused++;
        expect(res.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
        expect(res.status, text.slice(0, 300)).toBeLessThan(500);
        const { error } = ErrorBodySchema.parse(JSON.parse(text));
        if (error.param !== null) {
          expect([...Object.keys(request), ...Object.keys(validRequest())]).toContain(
            error.param.split(".")[0],
          );
        }
      }),
      { numRuns: 200, timeout: 20_000 },
    );
    expect(seen.success, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThan(0);
  });
});
