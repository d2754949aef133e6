// The generation body's OpenAI fields darkroom cannot honour: refused naming the field, their honoured values accepted.
import { describe, expect, it } from "vitest";
import { describeZodError } from "../../protocol/errors";
import { CreateImageRequestSchema } from "./v1-images-generations-schema";

const parse = (fields: Record<string, unknown>) =>
  CreateImageRequestSchema.safeParse({ prompt: "a fox", ...fields });

function refusal(fields: Record<string, unknown>) {
  const result = parse(fields);
  if (result.success) throw new Error(`accepted ${JSON.stringify(fields)}`);
  return describeZodError(result.error);
}

describe("CreateImageRequestSchema", () => {
  it("refuses response_format url on a stream, which always carries b64_json", () => {
    const { param, message } = refusal({ stream: true, response_format: "url" });
    expect(param).toBe("response_format");
    expect(message).toMatch(/cannot honour 'url' with stream: true/);
  });

  it.each([
    [{ stream: true, response_format: "b64_json" }],
    [{ stream: true, response_format: null }],
    [{ stream: false, response_format: "url" }],
    [{ response_format: "url" }],
  ])("accepts %j", (fields) => {
    expect(parse(fields).success).toBe(true);
  });

  it("refuses moderation low, saying darkroom's moderation is fixed", () => {
    const { param, message } = refusal({ moderation: "low" });
    expect(param).toBe("moderation");
    expect(message).toMatch(/moderation is fixed/);
  });

  it.each([["auto"], [null]])("accepts moderation %j", (moderation) => {
    expect(parse({ moderation }).success).toBe(true);
  });

  it("still refuses background transparent with its reason, and accepts auto and opaque", () => {
    expect(refusal({ background: "transparent" }).message).toMatch(/always opaque/);
    expect(parse({ background: "opaque" }).success).toBe(true);
    expect(parse({ background: "auto" }).success).toBe(true);
  });

  it("takes a refused value's own name as a plain enum miss, never a prototype key", () => {
    expect(refusal({ moderation: "constructor" }).message).toMatch(/expected "auto"/);
  });

  it("accepts only null for style and output_compression", () => {
    expect(parse({ style: null, output_compression: null }).success).toBe(true);
    expect(refusal({ style: "vivid" }).param).toBe("style");
    expect(refusal({ output_compression: 80 }).message).toMatch(/not supported/);
  });
});
