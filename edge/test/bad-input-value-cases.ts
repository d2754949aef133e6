// Bad-input cases about the body's values: ranges, tier rules, unsupported fields, prompts, hostile strings.
import { type BadCase, gen, invalid, ok } from "./bad-input-case";

const outOfRange: BadCase[] = [
  invalid("n", 0),
  invalid("n", 5),
  invalid("n", -1),
  invalid("seed", -1),
  invalid("seed", 4_294_967_296),
  invalid("steps", 0),
  invalid("steps", 51),
  gen(
    "steps 5 on the fast tier",
    { ...ok, quality: "low", steps: 5 },
    400,
    "invalid_request",
    "steps",
  ),
  invalid("guidance_scale", -0.5),
  invalid("guidance_scale", 31),
  gen(
    "guidance 2 on the fast tier",
    { ...ok, tier: "fast", guidance_scale: 2 },
    400,
    "invalid_request",
    "guidance_scale",
  ),
  ...["512", "512x", "abcxdef", "2048x2048", "1000x1000", "512X512", "0x0", " 512x512"].map((s) =>
    invalid("size", s),
  ),
  gen(
    "1024x1024 on the fast tier",
    { ...ok, quality: "low", size: "1024x1024" },
    400,
    "invalid_request",
    "size",
  ),
  invalid("quality", "ultra"),
  invalid("response_format", "png"),
  invalid("output_format", "gif"),
  invalid("moderation", "off"),
  invalid("scheduler", "pndm"),
  invalid("scheduler", "lcm", "lcm on the quality tier"),
  invalid("tier", "turbo"),
  invalid("tier", "batch"),
  invalid("model", "dall-e-3"),
  invalid("model", ""),
  invalid("user", "u".repeat(257), "257 characters"),
];

const notHonoured: BadCase[] = [
  invalid("style", "vivid"),
  invalid("style", "natural"),
  invalid("background", "transparent"),
  invalid("partial_images", 4),
  invalid("partial_images", 2),
  invalid("partial_images", 0),
  invalid("output_compression", 50),
  invalid("moderation", "low"),
  gen(
    "response_format url with stream: true",
    { ...ok, stream: true, response_format: "url" },
    400,
    "invalid_request",
    "response_format",
  ),
  {
    ...invalid("response_format", "b64_json"),
    name: "job with response_format b64_json",
    path: "/v1/images/jobs",
  },
  { ...invalid("moderation", "low"), name: "job with moderation low", path: "/v1/images/jobs" },
];

const policy = (name: string, prompt: string): BadCase =>
  gen(name, { prompt }, 400, "content_policy_violation", "prompt");

const prompts: BadCase[] = [
  invalid("prompt", "", "empty"),
  invalid("prompt", "    \n\t ", "whitespace only"),
  invalid("prompt", "\u200B\u200C\u200D\u2060\uFEFF", "only zero-width characters"),
  invalid("prompt", "a".repeat(4001), "4001 characters"),
  invalid("prompt", "a".repeat(60_000), "60 000 characters (under the body limit)"),
  invalid("prompt", "\uFDFA".repeat(300), "300 chars that NFKC expands past 4000"),
  invalid("negative_prompt", "b".repeat(4001), "4001 characters"),
  policy("zero-width inside a blocked word", "a n\u200Bu\u200Dde woman"),
  policy("right-to-left override around a blocked word", "a nu\u202Ede\u202C woman"),
  policy("Cyrillic look-alike in a blocked word", "n\u0430ked man"),
  policy("full-width letters", "a \uFF4E\uFF55\uFF44\uFF45 woman"),
  policy("spaced letters", "a n u d e woman"),
  policy("sexual content involving minors", "child porn"),
  policy("script-shaped prompt hiding a blocked word", "<script>porn</script>"),
];

const hostileStrings: BadCase[] = [
  invalid("model", "'; DROP TABLE tenants; --", "SQL in model"),
  invalid("model", "<script>alert(1)</script>", "script in model"),
  invalid("size", "512x512'; --", "SQL in size"),
  invalid("tier", "quality' OR '1'='1", "SQL in tier"),
  invalid("scheduler", "<img src=x onerror=alert(1)>", "script in scheduler"),
  invalid("quality", '" OR 1=1 --', "SQL in quality"),
  {
    name: "SQL in Idempotency-Key",
    json: ok,
    headers: [["idempotency-key", "'; DROP TABLE idempotency_records; --"]],
    status: 400,
    code: "invalid_request",
    param: "idempotency-key",
  },
  {
    name: "SQL as image id",
    path: "/v1/images/img_'%20OR%20'1'='1",
    method: "GET",
    status: 404,
    code: "not_found",
  },
  {
    name: "path traversal as image id",
    path: "/v1/images/..%2F..%2Fadmin%2Faudit",
    method: "GET",
    status: 404,
    code: "not_found",
  },
  {
    name: "SQL as tenant id",
    caller: "admin",
    path: "/admin/tenants/'%20OR%201=1%20--",
    method: "GET",
    status: 404,
    code: "not_found",
  },
  {
    name: "SQL as API key",
    caller: { raw: "Bearer drk_' OR '1'='1" },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
  {
    name: "script as API key",
    caller: { raw: "Bearer <script>" },
    json: ok,
    status: 401,
    code: "invalid_api_key",
  },
];

export const VALUE_CASES: BadCase[] = [
  ...outOfRange,
  ...notHonoured,
  ...prompts,
  ...hostileStrings,
];
