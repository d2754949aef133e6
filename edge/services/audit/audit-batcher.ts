// Group commit for audit records: requests finishing close together share one D1 round trip, off the response path.

/** How long an open batch waits for company while records arrive one at a time. */
export const AUDIT_BATCH_WINDOW_MS = 10;
/** The wait once they arrive faster than that (the last batch had company): one write per window
 *  instead of several, at the price of records reaching D1 up to this much later. */
export const AUDIT_BUSY_WINDOW_MS = 100;
/** A full batch closes at once; the next record opens a new one. */
export const MAX_AUDIT_BATCH = 100;

export type WriteBatch<T> = (records: readonly T[]) => Promise<void>;

/** Resolves when an open batch should close, `ms` after it opened (a test may decide otherwise). */
export type BatchWindow = (ms: number) => Promise<void>;

const afterWindow: BatchWindow = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Each batch has one owner: the request whose record opened it. That request's `waitUntil` carries
 * the write of the whole batch, so every record has a live context that writes it, and no request
 * ever awaits a promise belonging to another (the Workers runtime forbids sharing I/O across
 * requests; plain records may be shared). A batch closes when its write starts or when it is full.
 * Under load the window lengthens: every write costs the isolate (and D1) the same however many
 * records it carries, and the wait delays no response. A failed write loses the batch's records
 * the way a failed single write lost one: logged, never surfaced, since the responses have gone out.
 */
export class AuditBatcher<T> {
  private open: { readonly sink: object; readonly records: T[] } | null = null;
  /** Whether the last batch to close had company: then the next one waits the busy window. */
  private busy = false;

  constructor(
    private readonly window: BatchWindow = afterWindow,
    private readonly maxBatch = MAX_AUDIT_BATCH,
  ) {}

  /**
   * `sink` names the destination (the D1 binding): records join only a batch bound for the same one.
   * `write` and `waitUntil` are the calling request's; they are used only if it opens the batch.
   */
  add(
    record: T,
    sink: object,
    write: WriteBatch<T>,
    waitUntil: (promise: Promise<unknown>) => void,
  ): void {
    const open = this.open;
    if (open !== null && open.sink === sink && open.records.length < this.maxBatch) {
      open.records.push(record);
      if (open.records.length === this.maxBatch) this.close(open);
      return;
    }
    const batch = { sink, records: [record] };
    this.open = batch;
    const windowMs = this.busy ? AUDIT_BUSY_WINDOW_MS : AUDIT_BATCH_WINDOW_MS;
    waitUntil(this.flush(batch, write, windowMs));
  }

  private async flush(batch: { records: T[] }, write: WriteBatch<T>, windowMs: number) {
    await this.window(windowMs);
    this.close(batch);
    await write(batch.records);
  }

  private close(batch: { records: T[] }): void {
    if (this.open !== batch) return;
    this.open = null;
    this.busy = batch.records.length > 1;
  }
}
