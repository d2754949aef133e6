import { describe, expect, it } from "vitest";
import { stripPromptInvisibles } from "../../protocol/prompt-invisibles";
import { cleanText, EDGE_ONLY_INVISIBLE, foldToken, normalizePrompt } from "./normalize-prompt";

const cp = (code: number) => String.fromCodePoint(code);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("normalizePrompt: text (NFKC, invisibles stripped)", () => {
  it("applies NFKC to full-width, ligature, circled and styled characters", () => {
    expect(normalizePrompt("ｆｕｌｌ ﬁre ① 𝐛𝐨𝐥𝐝 e\u0301").text).toBe("full fire 1 bold é");
  });

  it("strips zero-width, bidi, word-joiner and BOM characters", () => {
    const listed = [
      ...range(0x200b, 0x200f),
      ...range(0x202a, 0x202e),
      ...range(0x2060, 0x2064),
      0x2066,
      0x2069,
      0xfeff,
    ];
    for (const code of listed) {
      expect(normalizePrompt(`fo${cp(code)}x`).text, code.toString(16)).toBe("fox");
    }
  });

  it("strips C0 and C1 controls but keeps tab, line feed and carriage return", () => {
    const stripped = [...range(0x00, 0x08), 0x0e, 0x0f, 0x10, 0x1b, 0x7f, 0x80, 0x9f];
    for (const code of stripped) {
      expect(normalizePrompt(`fo${cp(code)}x`).text, code.toString(16)).toBe("fox");
    }
    expect(normalizePrompt("red\tfox\nin\rsnow").text).toBe("red\tfox\nin\rsnow");
  });

  it("turns the controls the tokenizer reads as whitespace into a space", () => {
    expect(normalizePrompt("red\u000Bfox\u000Cin\u0085the snow").text).toBe("red fox in the snow");
  });

  it("deletes information separators and U+FFFD as the origin does, joining the word", () => {
    expect(normalizePrompt("nu\u001Fde top\uFFFDless").folded).toBe("nude topless");
  });

  it("deletes exactly what the origin deletes before tokenising, plus the edge-only fillers", () => {
    const edgeOnly = new RegExp(EDGE_ONLY_INVISIBLE, "u");
    const edgeDeletes: number[] = [];
    const originOnly: number[] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      const input = `a${String.fromCodePoint(code)}b`;
      const origin = stripPromptInvisibles(input) === "ab";
      const edge = cleanText(input) === "ab";
      if (origin && !edge) originOnly.push(code);
      if (edge && !origin) edgeDeletes.push(code);
    }
    expect(originOnly).toEqual([]);
    expect(edgeDeletes.length).toBeGreaterThan(0);
    const unexplained = edgeDeletes.filter((code) => !edgeOnly.test(String.fromCodePoint(code)));
    expect(unexplained.map((code) => code.toString(16))).toEqual([]);
  });

  it("strips lone surrogates, variation selectors and invisible fillers", () => {
    expect(normalizePrompt("f\uD800o\uFE0Fx\u3164").text).toBe("fox");
  });

  it("leaves ordinary prompts untouched and is a fixed point of NFKC", () => {
    const prompt = "A red fox in the snow, 35mm film — golden hour";
    const { text } = normalizePrompt(prompt);
    expect(text).toBe(prompt);
    expect(text.normalize("NFKC")).toBe(text);
  });
});

describe("normalizePrompt: plain and folded views", () => {
  it("plain drops combining marks and maps look-alikes, keeping case and punctuation", () => {
    expect(normalizePrompt("Pörn! Ѕех?").plain).toBe("Porn! Sex?");
  });

  it("folded lowercases, folds leetspeak and look-alikes, and separates tokens by one space", () => {
    const { folded, words } = normalizePrompt("  Nud3 — Wоm@n!!  with $ilk ");
    expect(folded).toBe("nude woman with silk");
    expect(words).toEqual(["nude", "woman", "with", "silk"]);
  });

  it("does not read numbers or numbers with units as leetspeak", () => {
    expect(normalizePrompt("455 hp, 35mm, 4k, 1920s, 17yo, 3d, $100").folded).toBe(
      "455 hp 35mm 4k 1920s 17yo 3d 100",
    );
  });

  it("folds only the leet characters of a token that also holds letters", () => {
    expect(foldToken("n00d13")).toBe("noodie");
    expect(foldToken("1999")).toBe("1999");
    expect(foldToken("r2d2")).toBe("r2d2");
  });

  it("maps lunate sigma, dotless j, Armenian seh, turned e and Lisu capitals to Latin", () => {
    expect(
      normalizePrompt("\u03F2at \u0237ar s\u057Dn tr\u01DDe \uA4E0\uA4F4\uA4D3\uA4F0").folded,
    ).toBe("cat jar sun tree nude");
  });

  it("reads 8 as b inside a word, but not in numbers or numbers with units", () => {
    expect(normalizePrompt("8ottle 8 88 8k 8mm 12years").folded).toBe("bottle 8 88 8k 8mm 12years");
  });

  it("keeps letters of other scripts in the folded view", () => {
    expect(normalizePrompt("一只红狐狸 im Schnee").folded).toBe("一只红狐狸 im schnee");
  });
});
