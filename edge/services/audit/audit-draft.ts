// One request's audit record in the making: started by the audit middleware, noted into downstream.
import type { NewAuditRow } from "../../db/schema";

/** What downstream code may note; request id, route, status and created_at are the middleware's. */
export interface AuditNotes {
  tenantId: string;
  keyId: string;
  tier: string;
  params: Record<string, unknown>;
  promptSha256: string;
  safetyDecision: string;
  safetyCategory: string | null;
  policyVersion: string;
  region: string;
  errorCode: string;
  /** Merged with earlier timings, so each stage can add its own. */
  timings: Record<string, number>;
  costCharged: number;
}

export class AuditDraft {
  private notes: Partial<AuditNotes> = {};
  private held: Promise<unknown> | null = null;

  constructor(
    readonly requestId: string,
    private readonly startedAt: number,
  ) {}

  note(fields: Partial<AuditNotes>): void {
    const timings = fields.timings ? { ...this.notes.timings, ...fields.timings } : undefined;
    this.notes = { ...this.notes, ...fields, ...(timings ? { timings } : {}) };
  }

  /**
   * Work that outlives the handler and still has notes to add (a stream's end, when what was
   * delivered and charged is known): the record waits for every `until` instead of being written
   * as the handler returns.
   */
  holdUntil(until: Promise<unknown>): void {
    const settled = until.catch(() => {});
    this.held = this.held ? Promise.all([this.held, settled]) : settled;
  }

  /** What the record must wait for, if anything. */
  get hold(): Promise<unknown> | null {
    return this.held;
  }

  finish(outcome: { route: string; status: number; finishedAt: number }): NewAuditRow {
    const n = this.notes;
    return {
      requestId: this.requestId,
      tenantId: n.tenantId ?? null,
      keyId: n.keyId ?? null,
      route: outcome.route,
      tier: n.tier ?? null,
      params: n.params ?? null,
      promptSha256: n.promptSha256 ?? null,
      safetyDecision: n.safetyDecision ?? null,
      safetyCategory: n.safetyCategory ?? null,
      policyVersion: n.policyVersion ?? null,
      region: n.region ?? null,
      status: outcome.status,
      errorCode: n.errorCode ?? null,
      timings: { ...n.timings, total_ms: outcome.finishedAt - this.startedAt },
      costCharged: n.costCharged ?? 0,
      createdAt: new Date(this.startedAt),
    };
  }
}
