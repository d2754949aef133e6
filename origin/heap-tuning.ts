// How much the origin's V8 heap may grow between full collections, set once at start-up.
import { setFlagsFromString } from "node:v8";

/**
 * Sets V8's old-generation growing factor to 1 + percent/100 of the live heap after each full GC
 * (0 leaves V8's own heuristic). Read by V8 whenever it sets the next limit, so setting it at
 * start-up, before the first collection that matters, takes effect; it is the same flag as
 * `node --heap-growing-percent`, which every way of launching the origin would otherwise repeat.
 *
 * Why: under saturated load the origin's live heap stays ~23 MB while it allocates and drops
 * megabytes a second (PNG and base64 buffers, onnxruntime's output copies, latents). V8's limit
 * left ~12 MB of headroom, less than its young generation can promote at once, so it began
 * incremental marking almost as soon as a mark-compact ended: 15 mark-compacts in a 14.6 s burst,
 * each a few ms on the main thread plus marking that ran for ~70–110 ms beside it on V8's helper
 * threads, on the two cores onnxruntime's intra-op pool needs (`--trace-gc
 * --trace-incremental-marking`). At 400 % the burst ran no mark-compact and the helper threads'
 * CPU fell from 0.69 to 0.32 s; the heap's ceiling rises to ~5× the live size (~120 MB here),
 * small beside a model.
 */
export function tuneHeap(growingPercent: number): void {
  if (growingPercent > 0) setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
}
