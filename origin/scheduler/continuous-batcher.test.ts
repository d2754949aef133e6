// The batcher under a fake clock and a FAKE runtime: ordering, batching, preemption, deadlines.
import { describe, expect, it } from "vitest";
import { TIER_SPECS, type Tier } from "../../protocol/tiers";
import { FakeClock, FakeRuntime, fakePipeline } from "../../test/support/fake-runtime";
import { type BatchPolicy, DEFAULT_BATCH_POLICY, FIFO_BATCH_POLICY } from "./batch-policy";
import { ContinuousBatcher } from "./continuous-batcher";
import type { GenerationJob, JobOutcome } from "./job-scheduler";
import { CountingEvents } from "./scheduler-events";

function job(label: string, tier: Tier, extra: Partial<GenerationJob> = {}): GenerationJob {
  const spec = TIER_SPECS[tier];
  const guided = tier !== "fast";
  return {
    requestId: label,
    tier,
    priority: 5,
    budgetMs: 1_000_000,
    params: {
      prompt: label,
      // The FAKE encoder labels rows by prompt; the negative prompt labels the unconditional row.
      negative_prompt: label,
      n: 1,
      width: 256,
      height: 256,
      steps: tier === "fast" ? 2 : 8,
      guidance_scale: guided ? 5 : 0,
      seed: 1,
      scheduler: guided ? "ddim" : spec.defaultScheduler,
    },
    ...extra,
  };
}

function policy(overrides: (p: BatchPolicy) => void = () => {}): BatchPolicy {
  const p: BatchPolicy = structuredClone(DEFAULT_BATCH_POLICY);
  for (const t of Object.values(p.tiers)) t.maxWaitMs = 0;
  overrides(p);
  return p;
}

function setup(p: BatchPolicy = policy(), rowMs = 10) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime(clock, rowMs);
  const events = new CountingEvents();
  const batcher = new ContinuousBatcher(fakePipeline(runtime), { policy: p, clock, events });
  return { clock, runtime, events, batcher };
}

/** Records the order in which jobs finish. */
function tracker() {
  const finished: string[] = [];
  const track = (label: string, outcome: Promise<JobOutcome>) =>
    outcome.then((o) => {
      finished.push(label);
      return o;
    });
  return { finished, track };
}

describe("priority and aging", () => {
  it("runs fast before quality before batch when one job fits at a time", async () => {
    const { batcher } = setup(
      policy((p) =>
        Object.values(p.tiers).forEach((t) => {
          t.maxBatchRows = 1;
        }),
      ),
    );
    const { finished, track } = tracker();
    await Promise.all([
      track("b", batcher.submit(job("b", "batch"))),
      track("q", batcher.submit(job("q", "quality"))),
      track("f", batcher.submit(job("f", "fast"))),
    ]);
    expect(finished).toEqual(["f", "q", "b"]);
  });

  it("ages a waiting batch job past a stream of quality work", async () => {
    const p = policy((x) => {
      Object.values(x.tiers).forEach((t) => {
        t.maxBatchRows = 1;
      });
      x.tiers.batch.agingMs = 200;
      x.tiers.quality.agingMs = Number.POSITIVE_INFINITY;
    });
    const { batcher, runtime } = setup(p);
    const { finished, track } = tracker();
    const all = [
      track("b", batcher.submit(job("b", "batch"))),
      track("q0", batcher.submit(job("q0", "quality"))),
    ];
    let n = 1;
    runtime.onUnet = (call) => {
      if (call % 4 === 0 && n < 12)
        all.push(track(`q${n}`, batcher.submit(job(`q${n++}`, "quality"))));
    };
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all(all);
    expect(finished.indexOf("b")).toBeGreaterThan(0);
    expect(finished.indexOf("b")).toBeLessThan(finished.length - 1);
  });
});

describe("batching at step boundaries", () => {
  it("waits up to the tier's window for company, then starts", async () => {
    const { batcher, runtime } = setup(
      policy((p) => {
        p.tiers.batch.maxWaitMs = 250;
      }),
    );
    const outcome = await batcher.submit(job("b", "batch"));
    expect(outcome.ok && outcome.result.timings.queue_ms).toBe(250);
    expect(runtime.calls[0]!.at).toBe(250);
  });

  it("starts at once when a full batch of the tier is waiting", async () => {
    const { batcher, runtime } = setup(
      policy((p) => {
        p.tiers.batch.maxWaitMs = 250;
        p.tiers.batch.maxBatchRows = 4;
      }),
    );
    await Promise.all([batcher.submit(job("b1", "batch")), batcher.submit(job("b2", "batch"))]);
    expect(runtime.calls[0]!.at).toBe(0);
    expect(runtime.calls[0]!.labels.sort()).toEqual(["b1", "b1", "b2", "b2"]);
  });

  it("lets compatible work join a running batch and finished rows leave", async () => {
    const { batcher, runtime } = setup();
    const first = batcher.submit(job("a", "quality"));
    let second: Promise<JobOutcome> | undefined;
    runtime.onUnet = (call) => {
      if (call === 3) second = batcher.submit(job("b", "quality"));
    };
    await first;
    await new Promise((r) => setTimeout(r, 10));
    await second;
    const shapes = runtime.calls.map((c) => [...new Set(c.labels)].sort().join("+"));
    expect(shapes).toEqual(["a", "a", "a", "a+b", "a+b", "a+b", "a+b", "a+b", "b", "b", "b"]);
    // Rows at different steps share one call with one timestep per row.
    expect(new Set(runtime.calls[3]!.timesteps).size).toBe(2);
  });

  it("never mixes latent sizes in one call", async () => {
    const { batcher, runtime } = setup();
    const big = job("big", "quality");
    big.params = { ...big.params, width: 512, height: 512 };
    await Promise.all([batcher.submit(job("small", "quality")), batcher.submit(big)]);
    for (const call of runtime.calls) expect(new Set(call.labels).size).toBe(1);
  });
});

describe("compute accounting", () => {
  it("reports every fake-device millisecond once, by stage, however the work was batched", async () => {
    const { batcher, clock, events } = setup();
    const start = clock.time;
    await Promise.all([
      batcher.submit(job("f1", "fast")),
      batcher.submit(job("f2", "fast")),
      batcher.submit(job("q", "quality")),
    ]);
    // Rows × steps × 10 ms per UNet row; 5 ms per decoded image; the FAKE encoder takes no time.
    expect(events.computeMs.denoise_step).toBe((1 * 2 + 1 * 2 + 2 * 8) * 10);
    expect(events.computeMs.decode).toBe(3 * 5);
    expect(events.computeMs.text_encode).toBe(0);
    const total = Object.values(events.computeMs).reduce((a, b) => a + b, 0);
    expect(total).toBe(clock.time - start);
  });
});

describe("device limits (batch calibration)", () => {
  it("keeps UNet calls within the device's rows, but never starves a guided job of its pair", async () => {
    const { batcher, runtime } = setup(policy((p) => Object.assign(p, { deviceRows: 1 })));
    await Promise.all([
      batcher.submit(job("f1", "fast")),
      batcher.submit(job("f2", "fast")),
      batcher.submit(job("q", "quality")),
    ]);
    const fastCalls = runtime.calls.filter((c) => !c.labels.includes("q"));
    expect(fastCalls.map((c) => c.labels.length)).toEqual([1, 1, 1, 1]);
    // The guided job's [uncond; cond] pair exceeds the limit alone, and still runs as one call.
    const guided = runtime.calls.filter((c) => c.labels.includes("q"));
    expect(guided).toHaveLength(8);
    for (const call of guided) expect(call.labels).toEqual(["q", "q"]);
  });

  it("decodes finished images in calls of at most the device's images", async () => {
    const { batcher, runtime } = setup(policy((p) => Object.assign(p, { deviceDecodeImages: 2 })));
    const three = job("three", "fast");
    three.params = { ...three.params, n: 3 };
    const outcome = await batcher.submit(three);
    expect(outcome.ok && outcome.result.images.map((i) => i.seed)).toEqual([1, 2, 3]);
    expect(runtime.decodeCalls).toEqual([2, 1]);
  });

  it("decodes everything finished in one call without a device limit", async () => {
    const { batcher, runtime } = setup();
    const three = job("three", "fast");
    three.params = { ...three.params, n: 3 };
    await batcher.submit(three);
    expect(runtime.decodeCalls).toEqual([3]);
  });
});

describe("preemption", () => {
  it("pauses lower-tier rows while fast work waits and resumes them with their latents", async () => {
    const p = policy((x) => {
      x.tiers.fast.maxBatchRows = 1;
    });
    const alone = setup(p);
    const reference = await alone.batcher.submit(job("q", "quality"));
    const { batcher, runtime, events } = setup(p);
    const quality = batcher.submit(job("q", "quality"));
    let fast: Promise<JobOutcome> | undefined;
    runtime.onUnet = (call) => {
      if (call === 2) fast = batcher.submit(job("f", "fast"));
    };
    const q = await quality;
    const labels = runtime.calls.map((c) => c.labels[0]);
    expect(labels).toEqual(["q", "q", "f", "f", "q", "q", "q", "q", "q", "q"]);
    expect(events.count("preempted.quality")).toBe(1);
    expect((await fast!).ok).toBe(true);
    expect(q.ok && reference.ok && q.result.images[0]!.pixels).toEqual(
      reference.ok && reference.result.images[0]!.pixels,
    );
  });
});

describe("deadlines, cancellation, bounds", () => {
  it("drops a row whose deadline passes at the next step boundary with deadline_exceeded", async () => {
    const { batcher, runtime, events } = setup();
    const outcome = await batcher.submit(job("q", "quality", { budgetMs: 45 }));
    expect(outcome).toMatchObject({ ok: false, reason: "deadline_exceeded" });
    expect(runtime.calls.length).toBeLessThan(8);
    expect(events.count("deadline.quality")).toBe(1);
  });

  it("cancels a queued job before it runs", async () => {
    const { batcher, runtime } = setup(
      policy((p) => {
        p.tiers.batch.maxWaitMs = 1000;
      }),
    );
    const controller = new AbortController();
    const pending = batcher.submit(job("b", "batch", { signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, reason: "canceled" });
    expect(runtime.calls).toHaveLength(0);
  });

  it("removes a canceled job's rows from the running batch at the next step", async () => {
    const { batcher, runtime, events } = setup();
    const keep = batcher.submit(job("keep", "quality"));
    const gone = batcher.submit(job("gone", "quality"));
    runtime.onUnet = (call) => {
      if (call === 3) batcher.cancel("gone");
    };
    expect(await gone).toMatchObject({ ok: false, reason: "canceled" });
    expect((await keep).ok).toBe(true);
    expect(runtime.calls.filter((c) => c.labels.includes("gone"))).toHaveLength(3);
    expect(events.count("canceled.quality")).toBe(1);
    expect(batcher.inFlight()).toBe(0);
  });

  it("refuses work beyond the tier's queue bound with overloaded", async () => {
    const { batcher } = setup(
      policy((p) => {
        p.tiers.batch.maxQueuedRows = 4;
        p.tiers.batch.maxWaitMs = 1000;
      }),
    );
    const accepted = [batcher.submit(job("b1", "batch")), batcher.submit(job("b2", "batch"))];
    expect(await batcher.submit(job("b3", "batch"))).toMatchObject({
      ok: false,
      reason: "overloaded",
    });
    await Promise.all(accepted);
  });
});

describe("failures and draining", () => {
  it("fails only a newcomer whose prompt encoding throws, not the batch it was to join", async () => {
    const { batcher, runtime } = setup();
    const running = batcher.submit(job("a", "quality"));
    let newcomer: Promise<JobOutcome> | undefined;
    runtime.onUnet = (call) => {
      if (call !== 3) return;
      runtime.encodeText = async () => {
        throw new Error("FAKE encode failure");
      };
      newcomer = batcher.submit(job("b", "quality"));
    };
    expect((await running).ok).toBe(true);
    expect(await newcomer).toMatchObject({
      ok: false,
      reason: "runtime_error",
      message: "FAKE encode failure",
    });
    expect(runtime.calls.filter((c) => c.labels.includes("a"))).toHaveLength(8);
    expect(runtime.calls.some((c) => c.labels.includes("b"))).toBe(false);
  });

  it("drains: hands back queued work at once, finishes the started job, refuses new work", async () => {
    const { batcher, runtime } = setup(
      policy((p) => {
        p.tiers.quality.maxBatchRows = 2;
      }),
    );
    const started = batcher.submit(job("a", "quality"));
    const queued = batcher.submit(job("b", "quality"));
    let drained: Promise<void> | undefined;
    runtime.onUnet = (call) => {
      if (call === 2) drained = batcher.drain();
    };
    expect((await started).ok).toBe(true);
    expect(await queued).toMatchObject({ ok: false, reason: "draining" });
    await drained;
    expect(runtime.calls.some((c) => c.labels.includes("b"))).toBe(false);
    expect(await batcher.submit(job("c", "fast"))).toMatchObject({ ok: false, reason: "draining" });
  });

  it("abandons: past the drain's deadline, running work is handed back after the call in progress", async () => {
    const { batcher, runtime } = setup();
    const running = batcher.submit(job("a", "quality"));
    runtime.onUnet = (call) => {
      if (call === 2) batcher.abandon();
    };
    expect(await running).toMatchObject({ ok: false, reason: "draining" });
    await batcher.drain();
    expect(runtime.calls).toHaveLength(2);
    expect(batcher.inFlight()).toBe(0);
  });
});

describe("admission control", () => {
  it("rejects with Retry-After when the predicted wait exceeds the deadline, or degrades if allowed", async () => {
    const { batcher } = setup(policy(), 10);
    await batcher.submit(job("warm", "quality"));
    const busy = [1, 2, 3].map((i) => batcher.submit(job(`q${i}`, "quality")));
    const refused = await batcher.submit(job("late", "quality", { budgetMs: 300 }));
    expect(refused).toMatchObject({ ok: false, reason: "overloaded" });
    expect(!refused.ok && refused.retryAfterMs).toBeGreaterThan(0);
    const degraded = await batcher.submit(
      job("ok", "quality", { budgetMs: 500, allowDegrade: true }),
    );
    expect(degraded.ok && degraded.result.degraded).toBe("tier quality->fast to meet the deadline");
    expect(degraded.ok && degraded.result.tier).toBe("fast");
    expect(degraded.ok && degraded.result.params.steps).toBe(2);
    await Promise.all(busy);
  });

  it("answers deadline_exceeded, not overloaded, to work an idle origin could not finish in time", async () => {
    const { batcher, runtime, events } = setup(policy(), 10);
    await batcher.submit(job("warm", "quality"));
    const calls = runtime.calls.length;
    const refused = await batcher.submit(job("hopeless", "quality", { budgetMs: 20 }));
    expect(refused).toMatchObject({ ok: false, reason: "deadline_exceeded" });
    expect(!refused.ok && refused.retryAfterMs).toBeFalsy();
    expect(!refused.ok && refused.message).toMatch(/20 ms left before its deadline/);
    expect(runtime.calls).toHaveLength(calls);
    expect(events.count("rejected.beyond_deadline.quality")).toBe(1);
  });

  it("counts a degraded request only once admitted, not when the queue bound refuses it", async () => {
    const { batcher, events } = setup(
      policy((p) => Object.assign(p.tiers.fast, { maxQueuedRows: 1 })),
    );
    batcher.cost.prime({ unetRowMs: 10, decodeImageMs: 5, cells: 32 * 32 });
    // Quality alone takes ~166 ms, over the 100 ms budget; as fast (~26 ms) it fits.
    const degradable = () => job("q", "quality", { budgetMs: 100, allowDegrade: true });
    const waiting = batcher.submit(job("f", "fast"));
    expect(await batcher.submit(degradable())).toMatchObject({ reason: "overloaded" });
    expect(events.count("rejected.queue_full.quality")).toBe(1);
    expect(events.count("degraded.quality")).toBe(0);
    await waiting;
    expect(await batcher.submit(degradable())).toMatchObject({ result: { tier: "fast" } });
    expect(events.count("degraded.quality")).toBe(1);
  });
});

describe("FIFO mode", () => {
  it("serves one job at a time in arrival order regardless of tier", async () => {
    const { batcher, runtime } = setup(FIFO_BATCH_POLICY);
    const { finished, track } = tracker();
    await Promise.all([
      track("b", batcher.submit(job("b", "batch"))),
      track("q", batcher.submit(job("q", "quality"))),
      track("f", batcher.submit(job("f", "fast"))),
    ]);
    expect(finished).toEqual(["b", "q", "f"]);
    for (const call of runtime.calls) expect(new Set(call.labels).size).toBe(1);
  });
});
