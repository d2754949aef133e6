// The graph watchdog under the batcher: a FAKE runtime whose calls can be held, and a manual timer.
import { describe, expect, it } from "vitest";
import { FakeClock, FakeRuntime, fakePipeline } from "../../test/support/fake-runtime";
import type { UnetRow } from "../engine/diffusion-runtime";
import { type BatchPolicy, DEFAULT_BATCH_POLICY } from "./batch-policy";
import { ContinuousBatcher } from "./continuous-batcher";
import { type GraphHang, GraphWatchdog, type StartTimer } from "./graph-watchdog";
import type { GenerationJob, JobEvent, JobOutcome } from "./job-scheduler";

type Held = "encodeText" | "unet" | "decode";

/** Calls of the held kinds wait until `release()`, as a wedged onnxruntime call waits forever. */
class HoldingRuntime extends FakeRuntime {
  readonly hold = new Set<Held>();
  release: () => void = () => {};
  private readonly gate = new Promise<void>((resolve) => {
    this.release = () => {
      this.hold.clear();
      resolve();
    };
  });
  private enter: () => void = () => {};
  /** Resolves once a held call has begun. */
  readonly entered = new Promise<void>((resolve) => {
    this.enter = resolve;
  });

  private async held(kind: Held) {
    if (!this.hold.has(kind)) return;
    this.enter();
    await this.gate;
  }

  override async encodeText(ids: readonly Int32Array[]) {
    await this.held("encodeText");
    return super.encodeText(ids);
  }
  override async unet(rows: readonly UnetRow[]) {
    await this.held("unet");
    return super.unet(rows);
  }
  override async decode(latents: readonly Float32Array[]) {
    await this.held("decode");
    return super.decode(latents);
  }
}

/** Virtual time for the watchdog alone: timers fire only when the test advances it. */
class ManualTimer {
  private time = 0;
  private timers: Array<{ at: number; fire: () => void }> = [];
  /** Every limit a call was watched with, in order. */
  readonly armed: number[] = [];

  readonly start: StartTimer = (ms, fire) => {
    const timer = { at: this.time + ms, fire };
    this.timers.push(timer);
    this.armed.push(ms);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  };

  advance(ms: number) {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.fire();
  }

  get pending(): number {
    return this.timers.length;
  }
}

function setup(floorMs = 60_000) {
  const policy: BatchPolicy = structuredClone(DEFAULT_BATCH_POLICY);
  // One job at a time: a second one waits queued behind the first.
  policy.tiers.fast.maxBatchRows = 1;
  const clock = new FakeClock();
  const runtime = new HoldingRuntime(clock);
  const timer = new ManualTimer();
  const hangs: GraphHang[] = [];
  const watchdog = new GraphWatchdog({
    floorMs,
    timer: timer.start,
    onHang: (hang) => hangs.push(hang),
  });
  const batcher = new ContinuousBatcher(fakePipeline(runtime), { policy, clock, watchdog });
  return { batcher, runtime, timer, hangs };
}

/** A fast job: one UNet row per step, two steps, then one decoded image. */
function job(label: string, events: JobEvent[] = []): GenerationJob {
  return {
    requestId: label,
    tier: "fast",
    priority: 5,
    budgetMs: 1_000_000,
    params: {
      prompt: label,
      negative_prompt: "",
      n: 1,
      width: 256,
      height: 256,
      steps: 2,
      guidance_scale: 0,
      seed: 1,
      scheduler: "euler",
    },
    onEvent: (event) => events.push(event),
  };
}

/** A job's outcome, and whether it has arrived yet. */
function tracked(outcome: Promise<JobOutcome>) {
  const t = { settled: false, outcome };
  void outcome.then(() => {
    t.settled = true;
  });
  return t;
}

/** Lets every promise that can settle now settle (no timers involved). */
async function flush() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

const runtimeError = { ok: false, reason: "runtime_error" };

describe("a graph call that never returns", () => {
  it("fails the running and the queued jobs, reports the origin failed, and runs nothing more", async () => {
    const { batcher, runtime, timer, hangs } = setup();
    runtime.hold.add("unet");
    const events: JobEvent[] = [];
    const running = tracked(batcher.submit(job("a", events)));
    const queued = tracked(batcher.submit(job("b")));
    await runtime.entered;

    timer.advance(59_999);
    await flush();
    expect([running.settled, queued.settled, hangs.length]).toEqual([false, false, 0]);

    timer.advance(1);
    expect(await running.outcome).toMatchObject(runtimeError);
    expect(await queued.outcome).toMatchObject(runtimeError);
    expect(hangs).toHaveLength(1);
    expect(hangs[0]!.message).toMatch(/UNet call .* not returned in 60000 ms.* must be restarted/);

    // The wedged call returns at last: its result goes nowhere.
    runtime.release();
    await flush();
    expect(events.some((e) => e.type === "progress")).toBe(false);
    // Nothing new starts on the failed runtime, and a drain is not held up by the hung call.
    expect(await batcher.submit(job("c"))).toMatchObject(runtimeError);
    expect(runtime.calls.map((c) => c.labels)).toEqual([["a"]]);
    await batcher.drain();
  });

  it.each([
    ["encodeText", "text encoder"],
    ["decode", "VAE"],
  ] as const)("a held %s call fails its job and the queued one as hung", async (held, graph) => {
    const { batcher, runtime, timer, hangs } = setup();
    runtime.hold.add(held);
    const outcome = batcher.submit(job("a"));
    const queued = batcher.submit(job("b"));
    await runtime.entered;
    timer.advance(60_000);
    expect(await outcome).toMatchObject(runtimeError);
    expect(await queued).toMatchObject(runtimeError);
    expect(hangs.map((h) => h.call.graph)).toEqual([graph]);
  });
});

describe("a slow but healthy call", () => {
  /** 5 s per UNet row at 256² (1024 latent cells): the limit is 20× that, past the 60 s floor. */
  const slowUnet = { unetRowMs: 5_000, decodeImageMs: 1, cells: 1024 };

  it("may run 20× its predicted cost when that is past the floor, and no longer", async () => {
    const { batcher, runtime, timer, hangs } = setup();
    batcher.cost.prime(slowUnet);
    runtime.hold.add("unet");
    const running = tracked(batcher.submit(job("a")));
    await runtime.entered;

    timer.advance(99_999);
    await flush();
    expect([running.settled, hangs.length]).toEqual([false, 0]);

    timer.advance(1);
    expect(await running.outcome).toMatchObject(runtimeError);
    expect(hangs.map((h) => h.limitMs)).toEqual([100_000]);
  });

  it("completes untouched within its limit", async () => {
    const { batcher, runtime, timer, hangs } = setup();
    batcher.cost.prime(slowUnet);
    runtime.hold.add("unet");
    const outcome = batcher.submit(job("a"));
    await runtime.entered;
    timer.advance(99_999);
    runtime.release();

    const done = await outcome;
    expect(done.ok && done.result.images).toHaveLength(1);
    // It was watched at its own limit; the watch ended with the call.
    expect(timer.armed).toContain(100_000);
    expect(timer.pending).toBe(0);
    timer.advance(1_000_000);
    expect(hangs).toEqual([]);
    expect((await batcher.submit(job("b"))).ok).toBe(true);
  });
});

describe("GraphWatchdog", () => {
  it("limits a call to max(floor, 20 × predicted); a floor of 0 turns it off", async () => {
    const timer = new ManualTimer();
    expect(new GraphWatchdog({ floorMs: 60_000 }).limitMs(10)).toBe(60_000);
    expect(new GraphWatchdog({ floorMs: 60_000 }).limitMs(4_000)).toBe(80_000);
    const off = new GraphWatchdog({ floorMs: 0, timer: timer.start });
    expect(off.limitMs(4_000)).toBe(Number.POSITIVE_INFINITY);
    const call = Promise.resolve([1]);
    expect(off.watch({ graph: "text encoder" }, 1, call)).toBe(call);
    expect(timer.armed).toEqual([]);
  });
});
