// infra/dashboards/origin.json and the origin's metrics agree: every query names a real metric and label,
// and every metric the origin exports is on the dashboard.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createOriginMetrics } from "./metrics";

interface Panel {
  title: string;
  targets: { expr: string }[];
}

const dashboard = JSON.parse(
  readFileSync(new URL("../../infra/dashboards/origin.json", import.meta.url), "utf8"),
) as { panels: Panel[] };
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

/** Exported metric name → its label names. */
function exported(): Map<string, readonly string[]> {
  const metrics = createOriginMetrics().registry.getMetricsAsArray();
  return new Map(
    metrics.map((m) => [m.name, (m as unknown as { labelNames?: string[] }).labelNames ?? []]),
  );
}

/** The metric a series name belongs to (histogram series carry _bucket/_sum/_count). */
const metricOf = (series: string, known: Map<string, unknown>) =>
  known.has(series) ? series : series.replace(/_(bucket|sum|count)$/, "");

describe("the origin dashboard", () => {
  it("queries only metrics the origin exports, grouped only by their labels", () => {
    const known = exported();
    for (const expr of exprs) {
      const series = expr.match(/darkroom_origin_[a-z_]+/g) ?? [];
      expect(series.length, expr).toBeGreaterThan(0);
      for (const name of series) {
        const metric = metricOf(name, known);
        expect(known.has(metric), `${name} in ${expr}`).toBe(true);
        const grouped = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) =>
          (m[1] ?? "").split(",").map((l) => l.trim()),
        );
        const allowed = new Set([...(known.get(metric) ?? []), "le", "namespace", "pod"]);
        for (const label of grouped) expect(allowed.has(label), `${label} in ${expr}`).toBe(true);
      }
    }
  });

  it("shows every metric the origin exports", () => {
    const known = exported();
    const shown = new Set(
      exprs.flatMap((e) =>
        (e.match(/darkroom_origin_[a-z_]+/g) ?? []).map((n) => metricOf(n, known)),
      ),
    );
    expect([...known.keys()].filter((name) => !shown.has(name))).toEqual([]);
  });
});
