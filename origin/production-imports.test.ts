// An origin installed for production (`npm ci --omit=dev`, as infra/origin/Dockerfile does) must
// start: every package its static import graph reaches has to be a runtime dependency, and every
// source file it reaches has to be in the folders the image copies.
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";

/** What the origin process and its worker threads load (the worker's entry is a `new Worker` URL). */
const ENTRIES = [
  "origin/main.ts",
  "origin/runtime/onnx-worker-entry.mjs",
  "origin/runtime/onnx-worker.ts",
];

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function packageOf(specifier: string): string | null {
  if (specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]!)) {
    return null;
  }
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** What the entries reach; `followDynamic: false` skips `import()` (loaded on demand). */
function reached(metafile: Metafile, followDynamic: boolean) {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const queue = [...ENTRIES];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const input = metafile.inputs[file];
    if (!input) throw new Error(`${file} is not in the build's inputs`);
    for (const edge of input.imports) {
      if (edge.kind === "dynamic-import" && !followDynamic) continue;
      if (!edge.external) {
        queue.push(edge.path);
        continue;
      }
      const name = packageOf(edge.path);
      if (name) packages.add(name);
    }
  }
  return { packages, files: seen };
}

describe("the origin's production install", () => {
  it("reaches only runtime dependencies through static imports", async () => {
    const { metafile } = await build({
      entryPoints: ENTRIES,
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      write: false,
      outdir: "unused",
      metafile: true,
      logLevel: "silent",
    });
    const { packages, files } = reached(metafile, false);
    // Not vacuous: the graph does reach the runtime's own packages.
    expect(packages).toContain("onnxruntime-node");
    expect(packages).toContain("tsx");
    const missing = [...packages].filter((name) => !(name in pkg.dependencies));
    expect(missing, "imported by the origin but not in dependencies").toEqual([]);
    // The tiny-model generator (onnx-proto, a dev dependency) is only loaded on demand.
    expect(pkg.devDependencies).toHaveProperty("onnx-proto");
    expect(packages).not.toContain("onnx-proto");
    expect(reached(metafile, true).packages).toContain("onnx-proto");
    // The Dockerfile copies origin/ and protocol/ and nothing else of the tree.
    expect(files.size).toBeGreaterThan(50);
    const outside = [...files].filter((f) => !/^(origin|protocol)\//.test(f));
    expect(outside, "reached by the origin but not copied into its image").toEqual([]);
  });
});
