// A tenant's blocked terms in D1 (safety_terms) as the admin API manages them: list, add, remove.
import { and, asc, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { safetyTerms } from "../../db/schema";
import type { TenantTerm } from "../../safety";
import { foldTerm } from "../../safety/normalize-prompt";
import { MAX_TENANT_TERMS } from "../../safety/tenant-policy";
import { forgetSafetyTerms } from "./tenant-safety-terms";

/** As stored: `category` stays a string, so a row written by hand with a bad one can be listed
 *  and deleted through the admin API. */
export interface StoredSafetyTerm {
  readonly id: number;
  readonly category: string;
  readonly term: string;
  readonly createdAt: Date;
}

export type AddTermResult =
  | { readonly ok: true; readonly term: StoredSafetyTerm }
  /** The tenant already has this term in this category, after folding. */
  | { readonly ok: false; readonly reason: "duplicate"; readonly existing: StoredSafetyTerm }
  /** The tenant has MAX_TENANT_TERMS terms: one more and the policy compiler refuses them all. */
  | { readonly ok: false; readonly reason: "full" };

type Refusal = Exclude<AddTermResult, { ok: true }>;

function refusalFor(rows: readonly StoredSafetyTerm[], input: TenantTerm): Refusal | null {
  const folded = foldTerm(input.term);
  const existing = rows.find((r) => r.category === input.category && foldTerm(r.term) === folded);
  if (existing) return { ok: false, reason: "duplicate", existing };
  return rows.length >= MAX_TENANT_TERMS ? { ok: false, reason: "full" } : null;
}

/** Every write drops the tenant's cached additions here, so this isolate applies it at once;
 *  other isolates pick it up within SAFETY_TERMS_TTL_MS. */
export class D1SafetyTermStore {
  constructor(private readonly db: Database) {}

  async list(tenantId: string): Promise<StoredSafetyTerm[]> {
    const t = safetyTerms;
    return await this.db
      .select({ id: t.id, category: t.category, term: t.term, createdAt: t.createdAt })
      .from(t)
      .where(eq(t.tenantId, tenantId))
      .orderBy(asc(t.id));
  }

  /** `input` is already validated (tenantSafetyAdditionsSchema's term shape). */
  async add(tenantId: string, input: TenantTerm): Promise<AddTermResult> {
    const refused = refusalFor(await this.list(tenantId), input);
    if (refused) return refused;
    // The count is checked again inside the insert: two admins adding at once cannot pass the cap.
    const [row] = await this.db.all<{ id: number; created_at: number }>(sql`
      insert into safety_terms (tenant_id, category, term)
      select ${tenantId}, ${input.category}, ${input.term}
      where (select count(*) from safety_terms where tenant_id = ${tenantId}) < ${MAX_TENANT_TERMS}
      on conflict do nothing
      returning id, created_at`);
    if (!row) return refusalFor(await this.list(tenantId), input) ?? { ok: false, reason: "full" };
    forgetSafetyTerms(tenantId);
    const term = { ...input, id: row.id, createdAt: new Date(row.created_at) };
    return { ok: true, term };
  }

  /** False when the tenant has no term with this id (another tenant's included). */
  async remove(tenantId: string, id: number): Promise<boolean> {
    const t = safetyTerms;
    const removed = await this.db
      .delete(t)
      .where(and(eq(t.id, id), eq(t.tenantId, tenantId)))
      .returning({ id: t.id });
    if (removed.length === 0) return false;
    forgetSafetyTerms(tenantId);
    return true;
  }
}
