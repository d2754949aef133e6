// Measured costs (ms per UNet row-step, per decoded image, per text encode) for admission and load.
import type { Tier } from "../../protocol/tiers";

class Ewma {
  value: number;
  constructor(
    initial: number,
    private readonly alpha = 0.2,
  ) {
    this.value = initial;
  }
  add(x: number) {
    if (Number.isFinite(x) && x >= 0) this.value += this.alpha * (x - this.value);
  }
}

/**
 * A UNet call over B rows of P latent cells is modelled as costing B·P·rowCell ms: linear in work,
 * which is what CPUs show (batching gains little there) and a safe upper bound on GPUs.
 * Costs are kept per latent cell so one 512² row counts as four 256² rows.
 */
export class CostModel {
  private readonly rowCellMs = new Ewma(0.001);
  private readonly decodeCellMs = new Ewma(0.001);
  private readonly encodeMs = new Ewma(1);
  private readonly lastStepMs: Record<Tier, Ewma> = {
    fast: new Ewma(0),
    quality: new Ewma(0),
    batch: new Ewma(0),
  };

  /**
   * Starts from measured costs (batch calibration's single-row UNet call and single-image decode at
   * `cells` latent cells) instead of the placeholder guesses, so predictions hold from the first
   * request: the edge's first-byte timeouts and routing read them from the load report.
   */
  prime(measured: { unetRowMs: number; decodeImageMs: number; cells: number }) {
    const { unetRowMs, decodeImageMs, cells } = measured;
    if (!(cells > 0)) return;
    if (Number.isFinite(unetRowMs) && unetRowMs > 0) this.rowCellMs.value = unetRowMs / cells;
    if (Number.isFinite(decodeImageMs) && decodeImageMs > 0) {
      this.decodeCellMs.value = decodeImageMs / cells;
    }
  }

  observeStep(ms: number, rows: number, cells: number, tiers: Iterable<Tier>) {
    if (rows <= 0 || cells <= 0) return;
    this.rowCellMs.add(ms / (rows * cells));
    for (const tier of new Set(tiers)) this.lastStepMs[tier].add(ms);
  }

  observeDecode(ms: number, images: number, cells: number) {
    if (images > 0 && cells > 0) this.decodeCellMs.add(ms / (images * cells));
  }

  observeEncode(ms: number) {
    this.encodeMs.add(ms);
  }

  rowStepMs(cells: number): number {
    return this.rowCellMs.value * cells;
  }

  decodeMs(images: number, cells: number): number {
    return this.decodeCellMs.value * images * cells;
  }

  textEncodeMs(): number {
    return this.encodeMs.value;
  }

  stepMs(tier: Tier): number {
    return this.lastStepMs[tier].value;
  }
}
