// Generated input through the whole Worker (fast-check): whatever a client sends, the answer is a
// success or a documented 4xx in the error shape, never a 5xx, and the stack keeps serving.
// The hand-written table (app.bad-input.test.ts) pins each case's exact code; this finds the cases
// nobody wrote down. A failure prints fast-check's seed and the shrunk input that reproduces it.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseSse } from "../protocol/events";
import { OUTPUT_FORMATS, SCHEDULERS, TIERS } from "../protocol/tiers";
import { expectConformant } from "./test/conformance";
import { FAKE_ORIGIN_BINDINGS } from "./test/fake-origin";
import { installStreamingOrigin } from "./test/fake-origin-stream";
import { tenantWithKey } from "./test/generation";
import { ADMIN_TOKEN, type CallOptions, callEagerly, type ErrorEnvelope } from "./test/harness";
import { readEvents } from "./test/jobs";

/** Values of every JSON type, deep and odd: what a broken or hostile client may put in any field. */
const wild = fc.jsonValue({ maxDepth: 3 });
/** Text that bends Unicode: astral planes, lone surrogates, controls, bidi overrides. */
const oddText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.constantFrom("\u202e evil", "\u200b", "\ud800", "a\u0000b", "Ａ ｆｏｘ", "x".repeat(4001)),
);

/** One arbitrary per request field, each value plausible: some combinations are still refused. */
const fields = {
  prompt: fc.oneof(fc.constantFrom("a red fox", "a lighthouse at dusk"), oddText),
  model: fc.constantFrom("default", "tiny-sd", "dall-e-3", null),
  n: fc.integer({ min: 1, max: 4 }),
  size: fc.constantFrom("256x256", "512x512", "auto", "1024x1024", null),
  quality: fc.constantFrom("low", "medium", "high", "hd", "standard", "auto"),
  response_format: fc.constantFrom("b64_json", "url"),
  output_format: fc.constantFrom(...OUTPUT_FORMATS),
  user: oddText,
  moderation: fc.constantFrom("auto", "low"),
  background: fc.constantFrom("auto", "opaque", "transparent"),
  seed: fc.nat({ max: 2 ** 32 - 1 }),
  steps: fc.integer({ min: 1, max: 50 }),
  guidance_scale: fc.double({ min: 0, max: 30, noNaN: true }),
  negative_prompt: oddText,
  scheduler: fc.constantFrom(...SCHEDULERS),
  tier: fc.constantFrom(...TIERS),
  stream: fc.boolean(),
  partial_images: fc.integer({ min: 0, max: 3 }),
};
type Fields = Record<string, fc.Arbitrary<unknown>>;

/** A field set to a wrong value, a field removed, or a key no schema has. */
const mutation = (names: string[]) =>
  fc.oneof(
    fc.tuple(fc.constant("set" as const), fc.constantFrom(...names), wild),
    fc.tuple(fc.constant("delete" as const), fc.constantFrom(...names), fc.constant(null)),
    fc.tuple(fc.constant("set" as const), fc.string({ maxLength: 12 }), wild),
  );

/**
 * A request body: a prompt and a few plausible fields, then up to two mutations; now and then not
 * an object at all. A fair share comes out valid, so the success and the refusal paths both run.
 */
function requestBody({ prompt, ...rest }: Fields): fc.Arbitrary<unknown> {
  const names = ["prompt", ...Object.keys(rest)];
  const object = fc
    .tuple(
      prompt ?? fc.constant(undefined),
      fc
        .subarray(Object.keys(rest), { maxLength: 4 })
        .chain((chosen) =>
          fc.record(
            Object.fromEntries(chosen.map((name) => [name, rest[name] as fc.Arbitrary<unknown>])),
          ),
        ),
      fc.array(mutation(names), { maxLength: 2 }),
    )
    .map(([p, others, mutations]) => {
      const body: Record<string, unknown> = { prompt: p, ...others };
      for (const [op, name, value] of mutations) {
        if (op === "delete") delete body[name];
        else body[name] = value;
      }
      return body;
    });
  return fc.oneof({ weight: 12, arbitrary: object }, { weight: 1, arbitrary: wild });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How many answers of each kind a property saw: a run that only ever saw one kind tested half. */
function outcomes() {
  const seen = { success: 0, refused: 0 };
  return {
    seen,
    expectBoth: () => {
      expect(seen.success, JSON.stringify(seen)).toBeGreaterThan(0);
      expect(seen.refused, JSON.stringify(seen)).toBeGreaterThan(0);
    },
  };
}

interface Answer {
  res: Response;
  text: string;
}

/** One request through the Worker: its whole body read first, then its deferred work settled
 *  (a stream's audit waits for the stream's end, so waiting on it first would never return). */
async function send(path: string, options: CallOptions): Promise<Answer> {
  const { response: res, done } = await callEagerly(path, options);
  const text = await res.text();
  await done;
  return { res, text };
}

/** Everything an error answer must be; the field it names must be one the request had or lacked. */
function expectDocumentedError({ res, text }: Answer, sent: unknown): void {
  expect(res.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(res.status, text.slice(0, 300)).toBeLessThan(500);
  expect(text).not.toMatch(/\n\s+at /);
  const body = JSON.parse(text) as ErrorEnvelope;
  expectConformant("ErrorResponse", body);
  expect(body.error.request_id).toBe(res.headers.get("x-request-id"));
  const param = body.error.param;
  if (param !== null && isObject(sent) && body.error.code === "invalid_request") {
    const named = [...Object.keys(sent), "prompt"];
    const field = named.includes(param) ? param : param.split(".")[0];
    expect(named, `param ${param}`).toContain(field);
  }
}

const GENERATIONS = "/v1/images/generations";
const bindings = FAKE_ORIGIN_BINDINGS;
let key: string;
beforeAll(async () => {
  // A healthy fake origin: JSON to a plain call, events to one that asks for them; webhook
  // receivers (any other host) accept every delivery.
  installStreamingOrigin({}, { other: () => new Response(null, { status: 204 }) });
  ({ key } = await tenantWithKey({
    rate_limit_per_minute: 100_000,
    monthly_image_quota: 1_000_000,
  }));
});
afterAll(() => vi.restoreAllMocks());

describe("generated input", { timeout: 120_000 }, () => {
  it("POST /v1/images/generations: a success with n images, or a documented 4xx", async () => {
    const { seen, expectBoth } = outcomes();
    await fc.assert(
      fc.asyncProperty(requestBody(fields), async (body) => {
        const answer = await send(GENERATIONS, { token: key, json: body, bindings });
        const { res, text } = answer;
        if (res.status !== 200) {
          seen.refused++;
          return expectDocumentedError(answer, body);
        }
        seen.success++;
        const sent = body as Record<string, unknown>;
        const n = (sent.n as number | null | undefined) ?? 1;
        if (sent.stream === true) {
          expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
          const events = parseSse(text).messages.map((m) => m.event);
          const completed = events.filter((e) => e === "image_generation.completed");
          expect(completed, events.join()).toHaveLength(n);
          return;
        }
        const images = JSON.parse(text) as { data: unknown[] };
        expectConformant("ImagesResponse", images);
        expect(images.data).toHaveLength(n);
      }),
      { numRuns: 150, timeout: 8_000 },
    );
    expectBoth();
  });

  it("POST /v1/images/jobs: a job that reaches its end, or a documented 4xx", async () => {
    const { stream: _, partial_images: __, ...jobFields } = fields;
    const body = requestBody({
      ...jobFields,
      webhook_url: fc.constantFrom("https://hooks.example/x", "http://insecure.example"),
    });
    const { seen, expectBoth } = outcomes();
    await fc.assert(
      fc.asyncProperty(body, async (json) => {
        const answer = await send("/v1/images/jobs", { token: key, json, bindings });
        if (answer.res.status !== 202) {
          seen.refused++;
          return expectDocumentedError(answer, json);
        }
        seen.success++;
        const job = JSON.parse(answer.text) as { id: string };
        const { status, events } = await readEvents(key, job.id);
        expect(status).toBe(200);
        expect(events.at(-1)?.event, events.map((e) => e.event).join()).toBe("completed");
      }),
      { numRuns: 40, timeout: 8_000 },
    );
    expectBoth();
  });

  it("raw bodies and content types: a documented 4xx, or a success when they happen to be valid", async () => {
    const rawBody = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      wild.map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom('{"prompt":"a fox"', '{"prompt":"a fox"}}', "\ufeff{}", "null", ""),
      fc.constantFrom('{"prompt":"a fox"}', '{"prompt":"a fox","n":2}'),
    );
    const contentType = fc.option(
      fc.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin1",
        "",
      ),
    );
    const { seen, expectBoth } = outcomes();
    await fc.assert(
      fc.asyncProperty(rawBody, contentType, async (body, type) => {
        const headers: Record<string, string> = { authorization: `Bearer ${key}` };
        if (type !== null) headers["content-type"] = type;
        const answer = await send(GENERATIONS, { method: "POST", headers, body, bindings });
        if (answer.res.status === 200) {
          seen.success++;
          return expectConformant("ImagesResponse", JSON.parse(answer.text));
        }
        seen.refused++;
        return expectDocumentedError(answer, undefined);
      }),
      { numRuns: 150, timeout: 8_000 },
    );
    expectBoth();
  });

  it("any method on any path, with any credential: never a 5xx, errors in the one shape", async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        ...["v1", "images", "generations", "jobs", "events", "cancel", "models", "usage"],
        ...["webhooks", "secret", "admin", "tenants", "keys", "audit", "%", "..", "%2e%2e"],
      ),
      fc.string({ maxLength: 8 }).map(encodeURIComponent),
    );
    const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join("/")}`);
    const query = fc.option(fc.string({ maxLength: 20 }).map((q) => `?${encodeURI(q)}`));
    const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
    const credential = fc.constantFrom("key", "admin", "none", "garbage", "basic");
    const { seen, expectBoth } = outcomes();
    await fc.assert(
      fc.asyncProperty(path, query, method, credential, wild, async (p, q, m, who, json) => {
        // The origins registry is left out: a valid body there re-points the fake regions, after
        // which a good generation would rightly fail with a 5xx.
        fc.pre(!p.startsWith("/admin/origins"));
        const options: CallOptions = { method: m, bindings };
        if (who === "key") options.token = key;
        if (who === "admin") options.token = ADMIN_TOKEN;
        if (who === "garbage") options.token = "dr_live_not-a-key";
        if (who === "basic") options.headers = { authorization: "Basic eDp5" };
        if (m !== "GET" && m !== "HEAD") options.json = json;
        const answer = await send(`${p}${q ?? ""}`, options);
        expect(answer.res.status, `${m} ${p}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
        if (answer.res.status < 400 || m === "HEAD") {
          seen.success++;
          return;
        }
        seen.refused++;
        return expectDocumentedError(answer, undefined);
      }),
      { numRuns: 300, timeout: 8_000 },
    );
    expectBoth();
  });
});
