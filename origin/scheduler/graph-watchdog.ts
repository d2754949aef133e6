// The graph watchdog: a graph call that outlives any healthy run of it counts as hung, and fails the origin.
import type { CostModel } from "./cost-model";

/** One graph call the batcher makes, with what its predicted cost depends on. */
export type GraphCall =
  | { graph: "text encoder" }
  | { graph: "UNet"; rows: number; cells: number }
  | { graph: "VAE"; images: number; cells: number };

/** Calls `fire` after `ms` unless the returned function is called first. */
export type StartTimer = (ms: number, fire: () => void) => () => void;

/** A call may take this many times its predicted cost (and at least the floor) before it hangs. */
export const HANG_FACTOR = 20;
/** setTimeout's longest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const systemTimer: StartTimer = (ms, fire) => {
  const timer = setTimeout(fire, ms);
  // A CLI or test process must not stay alive for a watchdog alone.
  timer.unref();
  return () => clearTimeout(timer);
};

/** What the cost model expects the call to take, in ms. */
export function predictedMs(cost: CostModel, call: GraphCall): number {
  if (call.graph === "text encoder") return cost.textEncodeMs();
  if (call.graph === "UNet") return call.rows * cost.rowStepMs(call.cells);
  return cost.decodeMs(call.images, call.cells);
}

function describe(call: GraphCall): string {
  if (call.graph === "text encoder") return "a text-encoder call";
  if (call.graph === "UNet") {
    return `a UNet call over ${call.rows} rows of ${call.cells} latent cells`;
  }
  return `a VAE decode of ${call.images} images of ${call.cells} latent cells`;
}

export class GraphHang extends Error {
  constructor(
    readonly call: GraphCall,
    readonly limitMs: number,
    predicted: number,
  ) {
    super(
      `graph watchdog: ${describe(call)} has not returned in ${Math.round(limitMs)} ms (predicted ${Math.round(predicted)} ms); onnxruntime is wedged (a GPU hang or driver fault?), so this origin fails its work and its health checks and must be restarted`,
    );
    this.name = "GraphHang";
  }
}

export interface GraphWatchdogOptions {
  /** No call counts as hung sooner than this (DARKROOM_GRAPH_WATCHDOG_MS); 0 turns the watchdog off. */
  floorMs: number;
  /** Told at each hang, before the hung call's promise rejects; start-origin.ts fails the origin. */
  onHang?: (hang: GraphHang) => void;
  timer?: StartTimer;
}

/**
 * onnxruntime cannot cancel a call, and one wedged by a GPU hang or a driver fault never settles:
 * the batcher's loop would wait on it for good, and every job with it, while the probes said all
 * was well. Each call is raced against a limit far above its predicted cost, so a slow but healthy
 * call is never cut off; past it the call rejects with a `GraphHang`, and whatever it returns
 * later goes nowhere.
 */
export class GraphWatchdog {
  private readonly timer: StartTimer;

  constructor(private readonly options: GraphWatchdogOptions) {
    this.timer = options.timer ?? systemTimer;
  }

  /** How long a call predicted to take `predicted` ms may run; infinite when the watchdog is off. */
  limitMs(predicted: number): number {
    if (!(this.options.floorMs > 0)) return Number.POSITIVE_INFINITY;
    const scaled = Number.isFinite(predicted) && predicted > 0 ? HANG_FACTOR * predicted : 0;
    return Math.max(this.options.floorMs, scaled);
  }

  watch<T>(call: GraphCall, predicted: number, run: Promise<T>): Promise<T> {
    const limitMs = this.limitMs(predicted);
    if (!Number.isFinite(limitMs)) return run;
    return new Promise<T>((resolve, reject) => {
      const stop = this.timer(Math.min(limitMs, MAX_TIMER_MS), () => {
        const hang = new GraphHang(call, limitMs, predicted);
        (this.options.onHang ?? ((h) => console.error(h.message)))(hang);
        reject(hang);
      });
      run.then(
        (value) => {
          stop();
          resolve(value);
        },
        (error: unknown) => {
          stop();
          reject(error);
        },
      );
    });
  }
}
