// Bad-input cases about the body's form: broken JSON, missing, extra and mistyped fields.
import { type BadCase, gen, invalid, ok, raw } from "./bad-input-case";

const brokenJson: BadCase[] = [
  raw("unterminated string", '{"prompt": "a fox'),
  raw("trailing comma", '{"prompt":"a fox",}'),
  raw("single quotes", "{'prompt':'a fox'}"),
  raw("bare word", "prompt"),
  raw("NaN literal", '{"prompt":"a fox","n":NaN}'),
  raw("comment inside", '{"prompt":"a fox" /* hi */}'),
  raw("truncated unicode escape", '{"prompt":"\\u12"}'),
  raw("two objects back to back", '{"prompt":"a"}{"prompt":"b"}'),
  raw("raw control character in a string", '{"prompt":"a\u0001fox"}'),
  raw("only whitespace", "   "),
  raw("top-level array", "[1,2,3]"),
  raw("top-level null", "null"),
  raw("top-level string", '"a fox"'),
  raw("top-level number", "42"),
  raw("top-level true", "true"),
  raw("n as 1e309 (Infinity)", '{"prompt":"a fox","n":1e309}', "n"),
  raw("unpaired high surrogate in prompt", '{"prompt":"a fox \\ud800"}', "prompt"),
  raw("unpaired low surrogate in prompt", '{"prompt":"\\udc00 a fox"}', "prompt"),
  raw(
    "unpaired surrogate in negative_prompt",
    '{"prompt":"a fox","negative_prompt":"\\udbff"}',
    "negative_prompt",
  ),
  raw("__proto__ field", '{"prompt":"a fox","__proto__":{"admin":true}}', "__proto__"),
];

const missingAndExtra: BadCase[] = [
  gen("empty object", {}, 400, "invalid_request", "prompt"),
  gen("no prompt", { n: 1 }, 400, "invalid_request", "prompt"),
  gen("prompt null", { prompt: null }, 400, "invalid_request", "prompt"),
  gen("unknown field foo", { ...ok, foo: 1 }, 400, "invalid_request", "foo"),
  gen("field in the wrong case", { ...ok, Prompt: "x" }, 400, "invalid_request", "Prompt"),
  gen("constructor field", { ...ok, constructor: 1 }, 400, "invalid_request", "constructor"),
  gen("edit-only field image", { ...ok, image: "aGk=" }, 400, "invalid_request", "image"),
  gen("edit-only field mask", { ...ok, mask: "aGk=" }, 400, "invalid_request", "mask"),
  gen(
    "jobs-only field webhook_url",
    { ...ok, webhook_url: "https://x" },
    400,
    "invalid_request",
    "webhook_url",
  ),
  gen("key with a trailing space", { ...ok, "n ": 1 }, 400, "invalid_request", "n "),
];

const wrongTypes: BadCase[] = (
  [
    ["prompt", 123],
    ["prompt", []],
    ["prompt", {}],
    ["prompt", true],
    ["model", 5],
    ["n", "1"],
    ["n", 1.5],
    ["n", true],
    ["size", 512],
    ["quality", 1],
    ["response_format", true],
    ["output_format", 3],
    ["user", 5],
    ["seed", "7"],
    ["seed", 1.5],
    ["steps", "20"],
    ["guidance_scale", "7"],
    ["negative_prompt", 3],
    ["scheduler", 1],
    ["tier", 2],
    ["stream", "true"],
    ["moderation", 0],
    ["background", false],
  ] as const
).map(([field, value]) => invalid(field, value, `${JSON.stringify(value)} (wrong type)`));

export const FORM_CASES: BadCase[] = [...brokenJson, ...missingAndExtra, ...wrongTypes];
