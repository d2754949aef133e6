// The UTC calendar month, including year ends and leap years.
import { describe, expect, it } from "vitest";
import { billingPeriod } from "./billing-period";

describe("billingPeriod", () => {
  it("is the UTC calendar month, end exclusive", () => {
    const p = billingPeriod(Date.UTC(2026, 1, 28, 23, 59, 59, 999));
    expect(p.key).toBe("2026-02");
    expect(new Date(p.startMs).toISOString()).toBe("2026-02-01T00:00:00.000Z");
    expect(new Date(p.endMs).toISOString()).toBe("2026-03-01T00:00:00.000Z");
  });

  it("rolls December into next year and knows leap Februaries", () => {
    expect(billingPeriod(Date.UTC(2026, 11, 31, 23)).endMs).toBe(Date.UTC(2027, 0, 1));
    expect(billingPeriod(Date.UTC(2028, 1, 29)).key).toBe("2028-02");
    expect(billingPeriod(Date.UTC(2028, 2, 1)).key).toBe("2028-03");
  });

  it("ignores the local time zone", () => {
    expect(billingPeriod(Date.parse("2026-03-31T23:30:00-05:00")).key).toBe("2026-04");
  });
});
