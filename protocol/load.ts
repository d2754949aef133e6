// The origin's load report, read by the edge to route by predicted time-to-image.
import { z } from "zod";

export const TierLoadSchema = z.object({
  queue_depth: z.number().int().nonnegative(),
  predicted_wait_ms: z.number().nonnegative(),
  step_ms: z.number().nonnegative(),
});

/**
 * What the origin measured per megapixel of output, so the edge can predict a request of any size
 * (`step_ms` is whatever batches ran lately: a 1024² guided request of four is many times that).
 * Optional: origins before it leave it out, and the edge then goes by `step_ms` alone.
 */
export const LoadCostsSchema = z.object({
  /** One UNet row (an image; two with classifier-free guidance) for one step. */
  row_step_ms_per_mpx: z.number().nonnegative(),
  /** Decoding one image with the VAE. */
  decode_ms_per_mpx: z.number().nonnegative(),
});

export const LoadReportSchema = z.object({
  region: z.string(),
  ready: z.boolean(),
  draining: z.boolean(),
  models: z.array(z.string()),
  tiers: z.object({ fast: TierLoadSchema, quality: TierLoadSchema, batch: TierLoadSchema }),
  capacity: z.object({ running_rows: z.number().int(), max_rows: z.number().int() }),
  costs: LoadCostsSchema.optional(),
});
export type LoadReport = z.infer<typeof LoadReportSchema>;
export type TierLoad = z.infer<typeof TierLoadSchema>;
export type LoadCosts = z.infer<typeof LoadCostsSchema>;
