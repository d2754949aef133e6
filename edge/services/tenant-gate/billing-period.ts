// The quota period: the calendar month in UTC, end exclusive.

export interface BillingPeriod {
  /** `YYYY-MM`, the identity of the period in stored state. */
  readonly key: string;
  readonly startMs: number;
  readonly endMs: number;
}

export function billingPeriod(nowMs: number): BillingPeriod {
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return {
    key: `${year}-${String(month + 1).padStart(2, "0")}`,
    startMs: Date.UTC(year, month, 1),
    // Date.UTC rolls month 12 over into January of the next year.
    endMs: Date.UTC(year, month + 1, 1),
  };
}
