// Chooses the rows for the next UNet call: one shape bucket, best-ranked work first, within limits.
import type { BatchPolicy } from "./batch-policy";
import { compareWork, type WorkItem } from "./work-item";

export interface StepPlan {
  /** Work to advance by one step now (empty when nothing may run yet). */
  run: WorkItem[];
  /** When waiting work becomes eligible, if nothing can run now. */
  wakeAt: number | null;
}

function fifoPlan(items: readonly WorkItem[]): StepPlan {
  const running = items.find((i) => i.state === "running");
  const next = running ?? [...items].sort((a, b) => a.seq - b.seq)[0];
  return { run: next ? [next] : [], wakeAt: null };
}

/**
 * Queued work starts a new batch only after its tier's wait window, or at once when a full batch
 * of its tier is waiting; it joins a bucket that is already running at the next step boundary.
 */
function eligibility(items: readonly WorkItem[], policy: BatchPolicy, now: number) {
  const runningBuckets = new Set(items.filter((i) => i.state === "running").map((i) => i.bucket));
  const queuedRows = new Map<string, number>();
  for (const i of items) {
    if (i.state !== "queued") continue;
    const key = `${i.tier}|${i.bucket}`;
    queuedRows.set(key, (queuedRows.get(key) ?? 0) + i.unetRows);
  }
  let wakeAt: number | null = null;
  const eligible = items.filter((i) => {
    if (i.state !== "queued" || runningBuckets.has(i.bucket)) return true;
    const tier = policy.tiers[i.tier];
    const full = (queuedRows.get(`${i.tier}|${i.bucket}`) ?? 0) >= tier.maxBatchRows;
    const readyAt = i.enqueuedAt + tier.maxWaitMs;
    if (full || now >= readyAt) return true;
    wakeAt = wakeAt === null ? readyAt : Math.min(wakeAt, readyAt);
    return false;
  });
  return { eligible, wakeAt };
}

export function planStep(items: readonly WorkItem[], policy: BatchPolicy, now: number): StepPlan {
  if (policy.fifo) return fifoPlan(items);
  const { eligible, wakeAt } = eligibility(items, policy, now);
  const ordered = eligible.sort(compareWork(now, (i) => policy.tiers[i.tier].agingMs));
  const top = ordered[0];
  if (!top) return { run: [], wakeAt };
  const run: WorkItem[] = [];
  let rows = 0;
  let cap = policy.deviceRows ?? Number.POSITIVE_INFINITY;
  for (const item of ordered) {
    if (item.bucket !== top.bucket) continue;
    const nextCap = Math.min(cap, policy.tiers[item.tier].maxBatchRows);
    // The best-ranked job always runs, even if it alone exceeds a tier's or the device's limit.
    if (run.length > 0 && rows + item.unetRows > nextCap) continue;
    run.push(item);
    rows += item.unetRows;
    cap = nextCap;
  }
  return { run, wakeAt };
}
