// The two CLIs as a person runs them: usage mistakes named by flag (exit 2, before any work), a real image.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReceipt } from "../imaging/encode-image";

const run = promisify(execFile);

async function cli(script: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", script, ...args], {
      env: { ...process.env, DARKROOM_LOG_LEVEL: "warn" },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "darkroom-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm run generate", () => {
  it.each([
    [[], "--prompt is required"],
    [["--prompt", "fox", "--size", "abc"], "--size must be WxH"],
    [["--prompt", "fox", "--bogus"], "Unknown option '--bogus'"],
    [["--prompt", "fox", "--seed=-1"], "--seed must be a whole number"],
    [["--prompt", "fox", "--steps", "999"], "--steps:"],
    [["--prompt", "fox", "--tier", "nope"], "--tier must be one of"],
    [["--prompt", "fox", "--out", "a.gif"], "--out must end in .png, .webp or .jpg"],
    [["--prompt", "fox", "--out", "/nonexistent/dir/a.png"], "--out: folder /nonexistent/dir"],
  ])("refuses %j with exit 2, naming the flag, before loading anything", async (args, said) => {
    const { code, stderr } = await cli("origin/cli/generate.ts", args);
    expect(code).toBe(2);
    expect(stderr).toContain(said);
    expect(stderr).toContain("usage: npm run generate");
    expect(stderr).not.toContain("loading model");
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("writes the image with its receipt, showing progress where stderr is no terminal", async () => {
    const out = join(dir, "fox.PNG");
    const { code, stdout, stderr } = await cli("origin/cli/generate.ts", [
      "--prompt",
      "a red fox",
      "--seed",
      "7",
      "--out",
      out,
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("loading model");
    expect(stderr).toMatch(/denoising .* 2\/2 steps/);
    expect(stdout).toContain(`wrote ${out}`);
    const receipt = await readReceipt(await readFile(out));
    expect(receipt).toMatchObject({ seed: 7, steps: 2 });
  });
});

describe("npm run model:tiny", () => {
  it("never deletes a model it did not write, even with --force", async () => {
    const real = join(dir, "real-export");
    await run("mkdir", ["-p", real]);
    await writeFile(join(real, "model_index.json"), '{"_class_name":"StableDiffusionPipeline"}');
    await writeFile(join(real, "weights.bin"), "weights");
    const { code, stderr } = await cli("origin/model/tiny/cli.ts", ["--out", real, "--force"]);
    expect(code).toBe(2);
    expect(stderr).toContain("did not write");
    expect(await readFile(join(real, "weights.bin"), "utf8")).toBe("weights");
  });

  it("refuses an unknown flag with exit 2 and the usage", async () => {
    const { code, stderr } = await cli("origin/model/tiny/cli.ts", ["--bogus"]);
    expect(code).toBe(2);
    expect(stderr).toContain("usage: npm run model:tiny");
  });
});
