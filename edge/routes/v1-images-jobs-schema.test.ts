// The job body: jobs always deliver URLs, so b64_json is refused naming response_format; url, null and absent pass.
import { describe, expect, it } from "vitest";
import { describeZodError } from "../../protocol/errors";
import { CreateImageJobRequestSchema } from "./v1-images-jobs-schema";

const parse = (fields: Record<string, unknown>) =>
  CreateImageJobRequestSchema.safeParse({ prompt: "a fox", ...fields });

describe("CreateImageJobRequestSchema", () => {
  it("refuses response_format b64_json: a job's images are always URLs", () => {
    const result = parse({ response_format: "b64_json" });
    expect(result.success).toBe(false);
    if (result.success) return;
    const { param, message } = describeZodError(result.error);
    expect(param).toBe("response_format");
    expect(message).toMatch(/always deliver images as URLs/);
  });

  it.each([[{ response_format: "url" }], [{ response_format: null }], [{}]])(
    "accepts %j",
    (fields) => {
      expect(parse(fields).success).toBe(true);
    },
  );

  it("refuses moderation low as the generation body does", () => {
    const result = parse({ moderation: "low" });
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(describeZodError(result.error).param).toBe("moderation");
  });
});
