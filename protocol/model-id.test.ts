// Model ids: one pattern for the edge and the origin, and the id an origin serves when none is set.
import { describe, expect, it } from "vitest";
import { isModelId, servedModelId } from "./model-id";

describe("model ids", () => {
  it.each([
    ["stabilityai/sd-turbo", "sd-turbo"],
    ["/models/cache/runwayml/stable-diffusion-v1-5/", "stable-diffusion-v1-5"],
    ["tiny-sd", "tiny-sd"],
    ["/models/my model", null],
    ["", null],
  ])("serves %s as %s", (source, id) => {
    expect(servedModelId(source)).toBe(id);
  });

  it("allows one path segment of letters, digits, '.', '_' and '-'", () => {
    expect(isModelId("sd-turbo_1.0")).toBe(true);
    expect(isModelId("a/b")).toBe(false);
    expect(isModelId(".hidden")).toBe(false);
    expect(isModelId("x".repeat(129))).toBe(false);
  });
});
