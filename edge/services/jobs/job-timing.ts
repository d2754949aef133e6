// A job object's clocks: how long one alarm follows a run, retention, the watchdog and grace periods.

/** How long a finished job's record stays readable unless JOB_RETENTION_S says otherwise. */
export const DEFAULT_RETENTION_S = 7 * 24 * 3600;
/** The watchdog alarm comes this long after the earlier of a stretch's deadline and its handover
 *  time: a runner still going then is ended (past the deadline) or handed over. */
export const WATCHDOG_MARGIN_MS = 60_000;
/** A run whose stream keeps breaking off with nothing gained in between ends `failed` after this
 *  many attempts to attach again. */
export const MAX_DROPS_IN_A_ROW = 3;
/** After the origin accepted a cancel, how long to wait for its `canceled` before ending it here. */
export const CANCEL_GRACE_MS = 5_000;
/**
 * Workers end an alarm handler after 15 minutes of wall time, without its `finally`: a run that old
 * in memory belongs to an invocation that was cut off, not to one still going.
 */
export const ALARM_WALL_LIMIT_MS = 15 * 60_000;

/**
 * How long one alarm follows a job's run before handing it to the next: Workers end an alarm after
 * 15 minutes, and the end of a job (storing its images, settling, webhooks) must fit after it.
 * JOB_HANDOVER_MS overrides it (tests).
 */
const DEFAULT_HANDOVER_MS = 12 * 60_000;

export function handoverMs(env: { JOB_HANDOVER_MS?: string }): number {
  const ms = Number(env.JOB_HANDOVER_MS);
  return Number.isInteger(ms) && ms > 0 ? Math.min(ms, DEFAULT_HANDOVER_MS) : DEFAULT_HANDOVER_MS;
}

export function retentionMs(env: { JOB_RETENTION_S?: string }): number {
  const seconds = Number(env.JOB_RETENTION_S);
  return (Number.isInteger(seconds) && seconds > 0 ? seconds : DEFAULT_RETENTION_S) * 1000;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
