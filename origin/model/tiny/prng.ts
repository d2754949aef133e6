// Deterministic pseudo-random weights: only integer ops, + − × ÷ and sqrt, so bytes match on every IEEE-754 engine.

/** FNV-1a of a label, so each tensor draws from its own named stream. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A splitmix32 stream seeded from a label. */
export class WeightStream {
  private state: number;

  constructor(label: string) {
    this.state = hashLabel(label);
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  }

  /** Approximately standard normal (Irwin–Hall of four uniforms): no log/cos, so no libm differences. */
  normal(): number {
    const sum = this.uniform() + this.uniform() + this.uniform() + this.uniform();
    return (sum - 2) * 1.7320508075688772;
  }

  normals(count: number, scale = 1): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal() * scale;
    return out;
  }
}

/** A random n×n orthonormal matrix (row-major), by Gram–Schmidt on normal draws. */
export function orthonormal(n: number, label: string): number[][] {
  const stream = new WeightStream(label);
  const rows: number[][] = [];
  while (rows.length < n) {
    const v = Array.from({ length: n }, () => stream.normal());
    for (const r of rows) {
      const dot = r.reduce((acc, x, i) => acc + x * v[i]!, 0);
      for (let i = 0; i < n; i++) v[i]! -= dot * r[i]!;
    }
    const norm = Math.sqrt(v.reduce((acc, x) => acc + x * x, 0));
    if (norm > 1e-3) rows.push(v.map((x) => x / norm));
  }
  return rows;
}
