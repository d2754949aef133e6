// What the edge charged and recorded for one tenant (GET /v1/usage, GET /admin/audit), read back for reconciliation.
import { adminCall } from "../../scripts/local-stack/admin-client";
import type { GenerationRecord } from "./generation-client";

const GENERATIONS_ROUTE = "POST /v1/images/generations";

export interface AuditRecord {
  request_id: string;
  route: string;
  status: number;
  region: string | null;
  error_code: string | null;
  cost_charged: number;
  params: { n?: number } | null;
}

export interface Ledger {
  imagesUsed: number;
  imagesReserved: number;
  unitsUsed: number;
  /** The tenant's generation audit records, oldest first. */
  audit: AuditRecord[];
}

export async function readUsage(edgeUrl: string, key: string) {
  const response = await fetch(`${edgeUrl}/v1/usage`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(15_000),
  });
  if (response.status !== 200) throw new Error(`GET /v1/usage answered ${response.status}`);
  return (await response.json()) as {
    images_used: number;
    images_reserved: number;
    units_used: number;
  };
}

export async function readAudit(edgeUrl: string, adminToken: string, tenantId: string) {
  return (await readTenantAudit(edgeUrl, adminToken, tenantId)).filter(
    (r) => r.route === GENERATIONS_ROUTE,
  );
}

/** Every audit record of the tenant, whatever its route, oldest first. */
export async function readTenantAudit(edgeUrl: string, adminToken: string, tenantId: string) {
  const records: AuditRecord[] = [];
  let before: number | null = null;
  do {
    const query = `tenant_id=${encodeURIComponent(tenantId)}&limit=500${before ? `&before=${before}` : ""}`;
    const { status, body } = await adminCall(edgeUrl, adminToken, "GET", `/admin/audit?${query}`);
    if (status !== 200) throw new Error(`GET /admin/audit answered ${status}`);
    const page = body as { data: AuditRecord[]; next_before: number | null };
    records.push(...page.data);
    before = page.next_before;
  } while (before !== null);
  return records.reverse();
}

export async function readLedger(
  edgeUrl: string,
  adminToken: string,
  tenant: { id: string; key: string },
): Promise<Ledger> {
  const [usage, audit] = await Promise.all([
    readUsage(edgeUrl, tenant.key),
    readAudit(edgeUrl, adminToken, tenant.id),
  ]);
  return {
    imagesUsed: usage.images_used,
    imagesReserved: usage.images_reserved,
    unitsUsed: usage.units_used,
    audit,
  };
}

/** The audit's count of delivered images: each successful generation record's `n`. */
export const auditedImages = (ledger: Ledger) =>
  ledger.audit.filter((r) => r.status === 200).reduce((sum, r) => sum + (r.params?.n ?? 0), 0);

export const auditedUnits = (ledger: Ledger) =>
  ledger.audit.reduce((sum, r) => sum + r.cost_charged, 0);

/**
 * Reads the ledger until it has settled on what the client saw: every request audited, nothing
 * still reserved. Audit writes and quota settlement finish after the response (waitUntil), so a
 * first read may lag; the last reading is returned either way, for the test to judge.
 */
export async function settledLedger(
  edgeUrl: string,
  adminToken: string,
  tenant: { id: string; key: string },
  records: readonly GenerationRecord[],
  timeoutMs = 20_000,
): Promise<Ledger> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ledger = await readLedger(edgeUrl, adminToken, tenant);
    const settled = ledger.audit.length >= records.length && ledger.imagesReserved === 0;
    if (settled || Date.now() > deadline) return ledger;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The route of a job's outcome record (written when it ends, beside its create request's 202). */
export const jobOutcomeRoute = (jobId: string) => `JOB /v1/images/jobs/${jobId}`;

export interface JobLedger extends Omit<Ledger, "audit"> {
  /** One entry per job id asked for: its outcome records (exactly one once it has ended). */
  outcomes: Map<string, AuditRecord[]>;
  /** Every audit record of the tenant, oldest first. */
  audit: AuditRecord[];
}

/**
 * Reads usage and audit until every job in `jobIds` has its outcome record and nothing is still
 * reserved (a job settles and audits as it ends, off the event's path); the last reading either way.
 */
export async function settledJobLedger(
  edgeUrl: string,
  adminToken: string,
  tenant: { id: string; key: string },
  jobIds: readonly string[],
  timeoutMs = 20_000,
): Promise<JobLedger> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [usage, audit] = await Promise.all([
      readUsage(edgeUrl, tenant.key),
      readTenantAudit(edgeUrl, adminToken, tenant.id),
    ]);
    const outcomes = new Map(
      jobIds.map((id) => [id, audit.filter((r) => r.route === jobOutcomeRoute(id))]),
    );
    const ledger: JobLedger = {
      imagesUsed: usage.images_used,
      imagesReserved: usage.images_reserved,
      unitsUsed: usage.units_used,
      outcomes,
      audit,
    };
    const settled =
      [...outcomes.values()].every((records) => records.length > 0) && usage.images_reserved === 0;
    if (settled || Date.now() > deadline) return ledger;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
