// The origin's settings against what deploys it and what documents it: a variable the origin does
// not read is a typo that would leave the default in force, and a setting missing from the README's
// table is one an operator cannot find.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ORIGIN_SETTINGS, unknownSettings } from "../origin/config";

const MANIFEST = "infra/k8s/origin.yaml";

/** The lines nested under the first `key:` of a YAML file (indented deeper than it), comments dropped. */
function yamlBlock(text: string, key: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trimStart().startsWith(`${key}:`));
  if (start < 0) return "";
  const indent = (l: string) => l.length - l.trimStart().length;
  const body: string[] = [lines[start]!];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    if (indent(line) <= indent(lines[start]!)) break;
    body.push(line);
  }
  return body.join("\n");
}

/** The first number captured by `pattern` in `text`, or NaN (so a comparison with it fails). */
function numberIn(text: string, pattern: RegExp): number {
  const m = pattern.exec(text);
  return m ? Number(m[1]!.replace(/_/g, "")) : Number.NaN;
}

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
    // The image's user is the one the pod runs as, and numeric: a name would have to exist in the
    // base image, and the CUDA bases the Dockerfile documents have no `node` user.
    const user = /^USER (\d+):(\d+)$/m.exec(readFileSync("infra/origin/Dockerfile", "utf8"));
    expect(user, "the Dockerfile's USER is uid:gid").not.toBeNull();
    expect(manifest).toMatch(new RegExp(`runAsUser: ${user?.[1]}\\b`));
    expect(manifest).toMatch(new RegExp(`runAsGroup: ${user?.[2]}\\b`));
  });
});

describe("the origin's pod", () => {
  const manifest = readFileSync(MANIFEST, "utf8");

  it("leaves routing before it drains, and drains before it is killed", () => {
    // The Service keeps routing to a deleted pod for a few seconds, while a draining origin answers
    // new work 503 (a region failure to the edge): preStop waits that out before SIGTERM.
    const preStop = numberIn(
      yamlBlock(manifest, "preStop"),
      /command: \[\s*"sleep",\s*"(\d+)"\s*\]/,
    );
    expect(preStop).toBeGreaterThanOrEqual(5);
    // The grace period runs from preStop's start; after SIGTERM the origin drains for up to
    // DARKROOM_DRAIN_TIMEOUT_MS, then hands work back and exits within ABANDON_GRACE_MS.
    const drainMs = numberIn(manifest, /DARKROOM_DRAIN_TIMEOUT_MS, value: "(\d+)"/);
    const abandonMs = numberIn(
      readFileSync("origin/main.ts", "utf8"),
      /const ABANDON_GRACE_MS = ([\d_]+);/,
    );
    const grace = numberIn(manifest, /terminationGracePeriodSeconds: (\d+)/);
    expect(grace).toBeGreaterThan(preStop + (drainMs + abandonMs) / 1000);
  });

  it("starts liveness only once the model is loaded and warm", () => {
    // /healthz answers as soon as the process listens, long before a multi-GB model is in.
    const startup = yamlBlock(manifest, "startupProbe");
    expect(startup).toMatch(/path: \/readyz\b/);
    const budgetS =
      numberIn(startup, /periodSeconds: (\d+)/) * numberIn(startup, /failureThreshold: (\d+)/);
    expect(budgetS).toBeGreaterThanOrEqual(20 * 60);
  });

  it("reserves the local disk its emptyDirs may fill", () => {
    const gi = (text: string) =>
      [...text.matchAll(/(?:sizeLimit|ephemeral-storage): (\d+)Gi\b/g)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    const emptyDirs = gi(yamlBlock(manifest, "volumes"));
    expect(emptyDirs).toBeGreaterThan(0);
    const resources = yamlBlock(manifest, "resources");
    for (const kind of ["requests", "limits"]) {
      const line = resources.split("\n").find((l) => l.trimStart().startsWith(`${kind}:`)) ?? "";
      expect(gi(line), kind).toBeGreaterThanOrEqual(emptyDirs);
    }
  });
});
