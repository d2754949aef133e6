// Loaded models in an LRU under a memory budget; a model a job still holds is unloaded only on release.
import { LRUCache } from "lru-cache";
import { formatBytes } from "./model-store-failure";

export type Located = { ok: true; dir: string } | { ok: false; message: string };

export interface ModelPoolOptions<M> {
  budgetBytes: number;
  /** Model id → its local folder (a configured dir, or a manifest fetched by the ModelStore). */
  locate(id: string): Promise<Located>;
  /** Bytes the model will hold once loaded (see model-memory.ts). */
  estimate(dir: string): Promise<number>;
  load(dir: string, id: string): Promise<M>;
  /** Releases the model's sessions; called once, never while a lease is out. */
  unload(model: M): Promise<void>;
  log?: (line: string) => void;
}

export interface ModelLease<M> {
  id: string;
  model: M;
  /** Idempotent; the model may be unloaded right after the last release if it was evicted. */
  release(): void;
}

export type PoolFailure = {
  kind: "model_unavailable" | "over_budget" | "load_failed";
  id: string;
  message: string;
};
export type AcquireResult<M> =
  | { ok: true; lease: ModelLease<M> }
  | { ok: false; failure: PoolFailure };

interface Entry<M> {
  id: string;
  model: M;
  bytes: number;
  holders: number;
  /** False once the LRU let go of it; it is then unloaded when `holders` reaches 0. */
  cached: boolean;
}

interface Loading<M> {
  /** Acquirers waiting on this load: they become the entry's holders before it enters the LRU. */
  waiters: number;
  bytes: number;
  done: Promise<{ ok: true; entry: Entry<M> } | { ok: false; failure: PoolFailure }>;
}

export class ModelPool<M> {
  private readonly lru: LRUCache<string, Entry<M>>;
  /** Evicted but still leased: reused by a new acquire instead of loading a second copy. */
  private readonly retired = new Map<string, Entry<M>>();
  private readonly loading = new Map<string, Loading<M>>();
  private readonly log: (line: string) => void;

  constructor(private readonly options: ModelPoolOptions<M>) {
    this.log = options.log ?? ((line) => console.error(`darkroom: ${line}`));
    this.lru = new LRUCache<string, Entry<M>>({
      maxSize: options.budgetBytes,
      sizeCalculation: (entry) => entry.bytes,
      dispose: (entry) => this.leave(entry),
    });
  }

  /** Ids in the LRU, most recently used first, and their estimated bytes. */
  resident(): { ids: string[]; bytes: number } {
    return { ids: [...this.lru.keys()], bytes: this.lru.calculatedSize };
  }

  async acquire(id: string): Promise<AcquireResult<M>> {
    const entry = this.lru.get(id) ?? this.revive(id);
    if (entry) {
      entry.holders++;
      return { ok: true, lease: this.lease(entry) };
    }
    let loading = this.loading.get(id);
    if (!loading) {
      const record: Loading<M> = { waiters: 0, bytes: 0, done: undefined as never };
      record.done = this.load(id, record).finally(() => this.loading.delete(id));
      this.loading.set(id, record);
      loading = record;
    }
    loading.waiters++;
    const result = await loading.done;
    return result.ok ? { ok: true, lease: this.lease(result.entry) } : result;
  }

  /** Unloads every model nobody holds; held ones follow on release. */
  clear(): void {
    this.lru.clear();
  }

  private revive(id: string): Entry<M> | undefined {
    const entry = this.retired.get(id);
    if (!entry) return undefined;
    this.retired.delete(id);
    entry.cached = true;
    this.lru.set(id, entry);
    return entry;
  }

  private async load(id: string, record: Loading<M>) {
    const fail = (kind: PoolFailure["kind"], message: string) =>
      ({ ok: false, failure: { kind, id, message } }) as const;
    const located = await this.options.locate(id);
    if (!located.ok) return fail("model_unavailable", located.message);
    const bytes = await this.options.estimate(located.dir);
    const budget = this.options.budgetBytes;
    if (bytes > budget) {
      return fail(
        "over_budget",
        `Model ${id} needs about ${formatBytes(bytes)} loaded, more than the whole budget of ${formatBytes(budget)}; raise DARKROOM_MODEL_MEMORY_MB.`,
      );
    }
    record.bytes = bytes;
    this.makeRoom();
    let model: M;
    try {
      model = await this.options.load(located.dir, id);
    } catch (error) {
      return fail("load_failed", `Model ${id} failed to load: ${(error as Error).message}`);
    }
    const entry: Entry<M> = { id, model, bytes, holders: record.waiters, cached: true };
    this.lru.set(id, entry);
    return { ok: true, entry } as const;
  }

  /** Evicts least-recently-used models before a load, so old and new never peak together. */
  private makeRoom(): void {
    const reserved = [...this.loading.values()].reduce((sum, l) => sum + l.bytes, 0);
    while (this.lru.size > 0 && this.lru.calculatedSize + reserved > this.options.budgetBytes) {
      const oldest = this.lru.rkeys().next().value;
      if (oldest === undefined) break;
      this.lru.delete(oldest);
    }
  }

  private leave(entry: Entry<M>): void {
    entry.cached = false;
    if (entry.holders > 0) this.retired.set(entry.id, entry);
    else this.unload(entry);
  }

  private lease(entry: Entry<M>): ModelLease<M> {
    let released = false;
    return {
      id: entry.id,
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.holders--;
        if (entry.holders === 0 && !entry.cached) {
          this.retired.delete(entry.id);
          this.unload(entry);
        }
      },
    };
  }

  private unload(entry: Entry<M>): void {
    this.options.unload(entry.model).catch((error: Error) => {
      this.log(`unloading model ${entry.id} failed: ${error.message}`);
    });
  }
}
