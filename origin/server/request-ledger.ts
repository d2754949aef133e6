// De-duplicates generations by request_id: a request delivered twice (an edge retry) is computed once.
import { LRUCache } from "lru-cache";
import type { GenerateRequest } from "../../protocol/generate";
import { SIGNATURE_WINDOW_S } from "../../protocol/signing";

/** What a finished JSON generation answered, kept so a duplicate gets the same bytes. */
export interface LedgerAnswer {
  readonly status: 200;
  /** The JSON bytes (see responseBytes): a Buffer goes to the socket as is. */
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

export type LedgerClaim =
  /** First sighting: the caller runs it, then calls `finish` (or `fail`). */
  | { readonly kind: "run"; readonly entry: LedgerEntry }
  /** The same request is running or finished here: wait for its answer instead of computing again. */
  | { readonly kind: "join"; readonly entry: LedgerEntry }
  /** The same id with different parameters, or a duplicate of a streamed run: never merged. */
  | { readonly kind: "conflict"; readonly reason: string };

/**
 * One request's run, shared by every delivery of it. The run is aborted only when every waiter has
 * gone (a retry that joins keeps the work alive after the first connection dropped).
 */
export class LedgerEntry {
  readonly answer: Promise<LedgerAnswer>;
  private resolve!: (answer: LedgerAnswer) => void;
  private reject!: (error: unknown) => void;
  private readonly controller = new AbortController();
  private waiters = 0;
  private settled = false;

  constructor(
    readonly fingerprint: string,
    readonly streamed: boolean,
  ) {
    this.answer = new Promise<LedgerAnswer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A failed run with nobody joined must not surface as an unhandled rejection.
    this.answer.catch(() => {});
  }

  /** Aborts the run once every attached connection has closed before it finished. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get done(): boolean {
    return this.settled;
  }

  attach(connection: AbortSignal): void {
    this.waiters += 1;
    const leave = () => {
      this.waiters -= 1;
      if (this.waiters === 0 && !this.settled) this.controller.abort(connection.reason);
    };
    if (connection.aborted) leave();
    else connection.addEventListener("abort", leave, { once: true });
  }

  finish(answer: LedgerAnswer): void {
    this.settled = true;
    this.resolve(answer);
  }

  fail(error: unknown): void {
    this.settled = true;
    this.reject(error);
  }
}

export interface RequestLedgerOptions {
  /** How long a finished answer is replayed to a duplicate. */
  readonly ttlMs?: number;
  /** Bound on the answers kept (images are large): least recently used go first. Running JSON
   *  entries are not counted: the batcher's queue bounds already bound them. */
  readonly maxBytes?: number;
}

/** Twice the signature window: a duplicate signed later than that is rejected as stale anyway. */
const DEFAULT_TTL_MS = SIGNATURE_WINDOW_S * 2 * 1000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Accounting for a stream's entry, or the least an answer counts for. */
const RUNNING_BYTES = 1024;

export class RequestLedger {
  /** Finished answers and stream markers: expire by TTL, evicted by size. */
  private readonly entries: LRUCache<string, LedgerEntry>;
  /** Running JSON runs, until they settle: evicting one would let a retry start a second run. */
  private readonly running = new Map<string, LedgerEntry>();
  private readonly ttlMs: number;

  constructor(options: RequestLedgerOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.entries = new LRUCache<string, LedgerEntry>({
      ttl: this.ttlMs,
      maxSize: options.maxBytes ?? DEFAULT_MAX_BYTES,
      sizeCalculation: () => RUNNING_BYTES,
    });
  }

  /** What the caller should do with this delivery of `req`. */
  claim(req: GenerateRequest, streamed: boolean): LedgerClaim {
    const fingerprint = fingerprintOf(req);
    const known = this.running.get(req.request_id) ?? this.entries.get(req.request_id);
    // A run whose every connection hung up is being canceled (at its next step boundary): a retry
    // arriving meanwhile runs afresh rather than joining a run that will only say "canceled".
    if (!known || (known.signal.aborted && !known.done)) {
      const entry = new LedgerEntry(fingerprint, streamed);
      // A running JSON entry never expires (a batch-tier run may take an hour); its answer gets
      // the TTL when it settles. A stream's entry only marks the id as used, so it keeps the TTL.
      if (streamed) {
        this.running.delete(req.request_id);
        this.entries.set(req.request_id, entry);
      } else {
        this.entries.delete(req.request_id);
        this.running.set(req.request_id, entry);
      }
      return { kind: "run", entry };
    }
    if (known.fingerprint !== fingerprint) {
      return { kind: "conflict", reason: "request_id was already used with different parameters." };
    }
    if (streamed || known.streamed) {
      return {
        kind: "conflict",
        reason: "request_id is already streaming or streamed here; resume it instead of resending.",
      };
    }
    return { kind: "join", entry: known };
  }

  /** Keeps a successful answer (sized by its body) for duplicates; forgets a failed run so a retry runs. */
  settle(requestId: string, entry: LedgerEntry, answer: LedgerAnswer | null): void {
    const current = this.running.get(requestId) ?? this.entries.peek(requestId);
    if (current !== entry) return;
    this.running.delete(requestId);
    if (answer === null) this.entries.delete(requestId);
    else {
      const size = Math.max(RUNNING_BYTES, answer.body.length);
      this.entries.set(requestId, entry, { size, ttl: this.ttlMs });
    }
  }
}

/** Everything that shapes the images; the per-attempt deadline, priority and detach grace are not. */
function fingerprintOf(req: GenerateRequest): string {
  const {
    deadline_ms: _deadline,
    priority: _priority,
    detach_grace_ms: _detachGrace,
    ...shape
  } = req;
  return JSON.stringify(shape);
}
