// One value cached per isolate: fresh for a few seconds, then served stale while one refresh runs in waitUntil.

/**
 * Values are cached, never promises: a Worker request must not await I/O started by another. A stale
 * value is served at once while this request's waitUntil refreshes it, so only the first request of
 * an isolate (or one after a long quiet spell) waits for the load.
 */
export class IsolateCache<T> {
  private value: { readonly data: T; readonly at: number } | null = null;
  private refreshingSince: number | null = null;
  private generation = 0;

  constructor(
    private readonly freshMs: number,
    private readonly maxStaleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(load: () => Promise<T>, waitUntil: (promise: Promise<unknown>) => void): Promise<T> {
    const now = this.now();
    const held = this.value;
    if (held && now - held.at < this.freshMs) return held.data;
    if (held && now - held.at < this.maxStaleMs) {
      // A refresh lost with its request (isolate busy, request cancelled) is retried after freshMs.
      if (this.refreshingSince === null || now - this.refreshingSince >= this.freshMs) {
        this.refreshingSince = now;
        waitUntil(this.fill(load).catch(() => undefined));
      }
      return held.data;
    }
    return this.fill(load);
  }

  /** The cached value, however old, without loading. */
  peek(): T | null {
    return this.value?.data ?? null;
  }

  /** Replaces the cached value (e.g. with what this isolate just learned), keeping its age. */
  patch(update: (data: T) => T): void {
    if (this.value) this.value = { data: update(this.value.data), at: this.value.at };
  }

  /** Forgets the value: the next get loads. A load already in flight will not put its result back. */
  purge(): void {
    this.value = null;
    this.refreshingSince = null;
    this.generation += 1;
  }

  private async fill(load: () => Promise<T>): Promise<T> {
    const generation = this.generation;
    const at = this.now();
    try {
      const data = await load();
      if (generation === this.generation) this.value = { data, at };
      return data;
    } finally {
      if (generation === this.generation) this.refreshingSince = null;
    }
  }
}
