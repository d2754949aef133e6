// Percentiles and a fixed-width table printer shared by the benchmarks.
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const round2 = (x: number) => Math.round(x * 100) / 100;

export function printTable(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0]!);
  const cell = (v: string | number) => (typeof v === "number" ? String(round2(v)) : v);
  const widths = headers.map((h) =>
    Math.max(h.length, ...rows.map((r) => cell(r[h] ?? "").length)),
  );
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join("  ");
  console.log(line(headers));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(headers.map((h) => cell(row[h] ?? ""))));
}
