// The origin's load report, read by the edge to route by predicted time-to-image.
import { z } from "zod";

export const TierLoadSchema = z.object({
  queue_depth: z.number().int().nonnegative(),
  predicted_wait_ms: z.number().nonnegative(),
  step_ms: z.number().nonnegative(),
});

export const LoadReportSchema = z.object({
  region: z.string(),
  ready: z.boolean(),
  draining: z.boolean(),
  models: z.array(z.string()),
  tiers: z.object({ fast: TierLoadSchema, quality: TierLoadSchema, batch: TierLoadSchema }),
  capacity: z.object({ running_rows: z.number().int(), max_rows: z.number().int() }),
});
export type LoadReport = z.infer<typeof LoadReportSchema>;
export type TierLoad = z.infer<typeof TierLoadSchema>;
