// Idempotency-Key records in D1: claim a key atomically, then store the response to replay, or release it.
import { and, eq, sql } from "drizzle-orm";
import { sha256Hex } from "../../../protocol/signing";
import type { Database } from "../../db/client";
import { idempotencyRecords } from "../../db/schema";

/** A completed record answers repeats this long, like Stripe's and OpenAI's 24 h. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;
/** An in-progress claim older than this belonged to a request that died; a repeat may take it over. */
export const IN_PROGRESS_LEASE_MS = 10 * 60_000;
/** D1 caps a row near 2 MB; bigger bodies (b64 images) are kept in R2 and the row points there. */
export const INLINE_BODY_LIMIT = 512 * 1024;

export interface StoredResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export type IdempotencyClaim =
  | { readonly kind: "claimed" }
  | { readonly kind: "replay"; readonly response: StoredResponse }
  /** The key was used with a different body. */
  | { readonly kind: "mismatch" }
  /** The first request with this key is still running. */
  | { readonly kind: "in_progress" }
  /** The first request completed (and was charged), but its response could not be kept. */
  | { readonly kind: "lost" };

export interface IdempotencyStore {
  claim(tenantId: string, key: string, bodySha256: string): Promise<IdempotencyClaim>;
  complete(tenantId: string, key: string, response: StoredResponse): Promise<void>;
  /** Forgets an unfinished claim, so a retry with the same key runs afresh. */
  release(tenantId: string, key: string): Promise<void>;
}

/** Records the cron drops per run (one a minute): well above what a busy edge expires per minute. */
export const PURGE_BATCH = 1_000;

export class D1IdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: Database,
    private readonly bucket: R2Bucket,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(tenantId: string, key: string, bodySha256: string): Promise<IdempotencyClaim> {
    const at = this.now();
    // One statement, so two racing claims cannot both win: the insert, or the takeover of a record
    // that has expired (completed) or was abandoned (in progress), happens at most once.
    const won = await this.db
      .insert(idempotencyRecords)
      .values({ tenantId, key, bodySha256, status: "in_progress", createdAt: new Date(at) })
      .onConflictDoUpdate({
        target: [idempotencyRecords.tenantId, idempotencyRecords.key],
        set: { bodySha256, status: "in_progress", response: null, createdAt: new Date(at) },
        setWhere: sql`(${idempotencyRecords.status} = 'completed' and ${idempotencyRecords.createdAt} <= ${at - IDEMPOTENCY_TTL_MS})
          or (${idempotencyRecords.status} = 'in_progress' and ${idempotencyRecords.createdAt} <= ${at - IN_PROGRESS_LEASE_MS})`,
      })
      .returning({ key: idempotencyRecords.key });
    if (won.length > 0) return { kind: "claimed" };
    const existing = await this.db.query.idempotencyRecords.findFirst({
      where: this.match(tenantId, key),
    });
    // Released between our insert and this read: the caller may simply try again.
    if (!existing) return { kind: "in_progress" };
    if (existing.bodySha256 !== bodySha256) return { kind: "mismatch" };
    if (existing.status !== "completed" || !existing.response) return { kind: "in_progress" };
    const response = await this.inflate(existing.response);
    return response ? { kind: "replay", response } : { kind: "lost" };
  }

  async complete(tenantId: string, key: string, response: StoredResponse): Promise<void> {
    const text = JSON.stringify(response.body);
    let stored: StoredResponse & { bodyRef?: string; lost?: boolean } = response;
    if (text.length > INLINE_BODY_LIMIT) {
      const bodyRef = `idempotency/${tenantId}/${await sha256Hex(key)}`;
      const put = await this.bucket
        .put(bodyRef, text, { httpMetadata: { contentType: "application/json" } })
        .then(
          () => true,
          () => false,
        );
      // Unstored, the key still must not run the request again (it was delivered and charged):
      // the record completes without a body, and repeats are told so.
      stored = put
        ? { status: response.status, headers: response.headers, body: null, bodyRef }
        : { status: response.status, headers: {}, body: null, lost: true };
    }
    await this.db
      .update(idempotencyRecords)
      .set({ status: "completed", response: stored })
      .where(this.match(tenantId, key));
  }

  async release(tenantId: string, key: string): Promise<void> {
    await this.db
      .delete(idempotencyRecords)
      .where(and(this.match(tenantId, key), eq(idempotencyRecords.status, "in_progress")));
  }

  /**
   * Drops up to `limit` records no repeat can use any more (completed past the TTL, claims past their
   * lease), oldest first, with their bodies in R2: a stored response holds the images, so keeping
   * it past its day would keep a tenant's images where no retention setting reaches. Returns how
   * many went.
   */
  async purgeExpired(limit = PURGE_BATCH): Promise<number> {
    const at = this.now();
    const r = idempotencyRecords;
    const expired = sql`(${r.status} = 'completed' and ${r.createdAt} <= ${at - IDEMPOTENCY_TTL_MS})
      or (${r.status} = 'in_progress' and ${r.createdAt} <= ${at - IN_PROGRESS_LEASE_MS})`;
    const oldest = this.db
      .select({ rowid: sql`rowid` })
      .from(r)
      .where(expired)
      .orderBy(r.createdAt)
      .limit(limit);
    const gone = await this.db
      .delete(r)
      .where(sql`rowid in ${oldest}`)
      .returning({ response: r.response });
    const bodies = gone.flatMap(({ response }) => (response?.bodyRef ? [response.bodyRef] : []));
    if (bodies.length > 0) await this.bucket.delete(bodies);
    return gone.length;
  }

  private match(tenantId: string, key: string) {
    return and(eq(idempotencyRecords.tenantId, tenantId), eq(idempotencyRecords.key, key));
  }

  /** The stored response, or null when it could not be kept (or its R2 body is gone). */
  private async inflate(
    stored: StoredResponse & { bodyRef?: string; lost?: boolean },
  ): Promise<StoredResponse | null> {
    if (stored.lost) return null;
    if (!stored.bodyRef) return stored;
    const object = await this.bucket.get(stored.bodyRef);
    if (!object) return null;
    return { status: stored.status, headers: stored.headers, body: await object.json() };
  }
}
