import { describe, expect, it } from "vitest";
import { stripInvisibleCharacters } from "./prompt-cleaning";

describe("stripInvisibleCharacters", () => {
  it("deletes U+FFFD, joining the word around it as the model then reads it", () => {
    expect(stripInvisibleCharacters("a woman top\uFFFDless, geni\uFFFDtals")).toBe(
      "a woman topless, genitals",
    );
  });

  it("deletes format, control and lone surrogate characters", () => {
    expect(stripInvisibleCharacters("\uFEFFph\u200Bo\u00ADt\u0000o\u001F\u202E\uD800")).toBe(
      "photo",
    );
  });

  it("turns NEL into a space and keeps the whitespace the tokenizer collapses", () => {
    expect(stripInvisibleCharacters("a\u0085red\tfox\nin\vthe\fsnow\r")).toBe(
      "a red\tfox\nin\vthe\fsnow\r",
    );
  });
});
