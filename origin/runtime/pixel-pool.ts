// Reusable VAE output buffers. An image's decoded pixels are the largest allocation of a request
// (0.75 MiB at 256², 3 MiB at 512²), and a fresh one is paid for in page faults: on this project's
// 2-core VM, 192 faults per 256² image cost 2–2.6 ms, more than the VAE call itself. The decoder
// writes into a buffer from here instead (a preallocated onnxruntime output), and the server hands
// it back once the image is encoded: the origin's faults per fast request fell from 193 to 0–3.
// (onnxruntime-node 1.30 still returns a copy of a preallocated output, unused here; that copy is
// short-lived garbage, and under sustained load some of it still lands on fresh pages.)

/** One VAE call's output buffer, and which of the views handed out over it are still out. */
interface Lease {
  buffer: Float32Array;
  out: Set<Float32Array>;
}

export class PixelPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Keyed by the backing store, so a lease never handed back is collected with its buffer. */
  private readonly leases = new WeakMap<ArrayBufferLike, Lease>();

  /** `keepPerSize`: how many idle buffers of one length stay pooled (the rest go to the GC). */
  constructor(private readonly keepPerSize = 4) {}

  /** A buffer of exactly `length` floats, reused when one is idle. Its contents are stale. */
  take(length: number): Float32Array {
    return this.free.get(length)?.pop() ?? new Float32Array(length);
  }

  /** Splits `buffer` into `count` equal views and lends them out; `release` brings them back. */
  lend(buffer: Float32Array, count: number): Float32Array[] {
    const size = buffer.length / count;
    const views =
      count === 1
        ? [buffer]
        : Array.from({ length: count }, (_, i) => buffer.subarray(i * size, (i + 1) * size));
    this.leases.set(buffer.buffer, { buffer, out: new Set(views) });
    return views;
  }

  /**
   * Hands views back. The buffer returns to the pool once every view of it is back; views it never
   * lent, and views already released, are ignored, so a buffer is never lent twice at once.
   */
  release(views: readonly Float32Array[]): void {
    for (const view of views) {
      const lease = this.leases.get(view.buffer);
      if (!lease?.out.delete(view) || lease.out.size > 0) continue;
      this.leases.delete(view.buffer);
      const idle = this.free.get(lease.buffer.length) ?? [];
      if (idle.length < this.keepPerSize) idle.push(lease.buffer);
      this.free.set(lease.buffer.length, idle);
    }
  }

  /** Idle buffers of `length` floats (for tests and metrics). */
  idle(length: number): number {
    return this.free.get(length)?.length ?? 0;
  }
}
