// Group commit for audit records: requests finishing close together share one D1 round trip, off the response path.

/** How long an open batch waits for company before its write starts: records reach D1 this much
 *  later, and D1 (one writer per database) sees one write per window instead of one per request. */
export const AUDIT_BATCH_WINDOW_MS = 10;
/** A full batch closes at once; the next record opens a new one. */
export const MAX_AUDIT_BATCH = 50;

export type WriteBatch<T> = (records: readonly T[]) => Promise<void>;

const afterWindow = () =>
  new Promise<void>((resolve) => setTimeout(resolve, AUDIT_BATCH_WINDOW_MS));

/**
 * Each batch has one owner: the request whose record opened it. That request's `waitUntil` carries
 * the write of the whole batch, so every record has a live context that writes it, and no request
 * ever awaits a promise belonging to another (the Workers runtime forbids sharing I/O across
 * requests; plain records may be shared). A batch closes when its write starts or when it is full.
 * A failed write loses the batch's records the way a failed single write lost one: logged, never
 * surfaced, since the responses have already gone out.
 */
export class AuditBatcher<T> {
  private open: { readonly sink: object; readonly records: T[] } | null = null;

  constructor(
    /** Resolves when an open batch should close: the window, or a test's own trigger. */
    private readonly window: () => Promise<void> = afterWindow,
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
      if (open.records.length === this.maxBatch) this.open = null;
      return;
    }
    const batch = { sink, records: [record] };
    this.open = batch;
    waitUntil(this.flush(batch, write));
  }

  private async flush(batch: { records: T[] }, write: WriteBatch<T>): Promise<void> {
    await this.window();
    if (this.open === batch) this.open = null;
    await write(batch.records);
  }
}
