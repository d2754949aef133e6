// The origin's settings against what deploys it and what documents it: a variable the origin does
// not read is a typo that would leave the default in force, and a setting missing from the README's
// table is one an operator cannot find.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ORIGIN_SETTINGS, unknownSettings } from "../origin/config";

/** Variables a file sets: `- { name: X, … }` / `- name: X` (Kubernetes) or `ENV X=… Y=…` (Docker). */
function variablesIn(path: string): string[] {
  const text = readFileSync(path, "utf8");
  const names = new Set<string>();
  for (const m of text.matchAll(/name:\s*([A-Z][A-Z0-9_]+)\b/g)) names.add(m[1]!);
  for (const line of text.split("\n").filter((l) => l.startsWith("ENV "))) {
    for (const m of line.matchAll(/\b([A-Z][A-Z0-9_]+)=/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

/** Backticked names in the first column of the README's origin configuration table. */
function documentedSettings(): Set<string> {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## The origin"), readme.indexOf("### Scheduling"));
  const names = new Set<string>();
  for (const row of section.split("\n").filter((l) => l.startsWith("| `"))) {
    const firstColumn = row.split("|")[1] ?? "";
    for (const m of firstColumn.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

/** Read by Node itself, not the origin's configuration. */
const RUNTIME_VARIABLES = new Set(["NODE_ENV"]);

describe("the origin's settings", () => {
  it("infra/ sets only variables the origin reads", () => {
    for (const file of ["infra/k8s/origin.yaml", "infra/origin/Dockerfile"]) {
      const set = variablesIn(file).filter((name) => !RUNTIME_VARIABLES.has(name));
      expect(set.length, file).toBeGreaterThan(2);
      expect(
        set.filter((name) => !ORIGIN_SETTINGS.includes(name)),
        `${file} sets variables the origin does not read`,
      ).toEqual([]);
    }
  });

  it("are all in the README's configuration table", () => {
    const documented = documentedSettings();
    expect(ORIGIN_SETTINGS.filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !ORIGIN_SETTINGS.includes(name))).toEqual([]);
  });

  it("flags DARKROOM_ variables that are not settings", () => {
    expect(
      unknownSettings({
        DARKROOM_INTRA_OP_THREAD: "4",
        DARKROOM_REGION: "us",
        DARKROOM_PORT: "8801",
        HOME: "/root",
        ZDARKROOM_X: "1",
      }),
    ).toEqual(["DARKROOM_INTRA_OP_THREAD"]);
    expect(unknownSettings({ DARKROOM_MODEL_DIR: "/models" })).toEqual([]);
  });

  it("run in a pod that is not root and cannot write its image", () => {
    const manifest = readFileSync("infra/k8s/origin.yaml", "utf8");
    for (const setting of [
      /runAsNonRoot: true/,
      /runAsUser: 1000\b/,
      /allowPrivilegeEscalation: false/,
      /readOnlyRootFilesystem: true/,
      /capabilities: \{ drop: \[ALL\] \}/,
      // What the origin writes: tsx's compile cache and the model cache.
      /mountPath: \/tmp\b/,
      /DARKROOM_MODEL_CACHE_DIR, value: \/cache\//,
    ]) {
      expect(manifest).toMatch(setting);
    }
    // The image's user is the one the pod runs as.
    expect(readFileSync("infra/origin/Dockerfile", "utf8")).toMatch(/^USER node$/m);
  });
});
