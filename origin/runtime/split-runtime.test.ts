// Splitting UNet rows across instances: when it splits, where each share and each other graph
// runs, what survives an instance's death, the configuration, and (on the real runtime) that a
// split call returns the rows a single session returns.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOriginConfig } from "../config";
import type { DiffusionRuntime, ModelInfo, UnetRow } from "../engine/diffusion-runtime";
import { loadPipeline } from "../load-pipeline";
import { writeTinyModel } from "../model/tiny";
import { loadOnnxRuntime } from "./onnx-diffusion-runtime";
import { planUnetInstances, SplitUnetRuntime, splitPlan } from "./split-runtime";

describe("splitPlan", () => {
  it.each([
    [1, 2, null],
    [2, 1, null],
    [
      2,
      2,
      [
        [0, 1],
        [1, 2],
      ],
    ],
    [3, 2, null],
    [
      4,
      2,
      [
        [0, 2],
        [2, 4],
      ],
    ],
    [
      5,
      2,
      [
        [0, 3],
        [3, 5],
      ],
    ],
    [
      8,
      2,
      [
        [0, 4],
        [4, 8],
      ],
    ],
    [
      3,
      3,
      [
        [0, 1],
        [1, 2],
        [2, 3],
      ],
    ],
    [
      2,
      4,
      [
        [0, 1],
        [1, 2],
      ],
    ],
    [
      10,
      4,
      [
        [0, 3],
        [3, 6],
        [6, 8],
        [8, 10],
      ],
    ],
  ])("%i rows over %i instances → %j", (rows, instances, expected) => {
    expect(splitPlan(rows, instances)).toEqual(expected);
  });
});

const MODEL = { sha256: "abc" } as ModelInfo;

/** A runtime that records its calls and answers each UNet row with its timestep plus an offset. */
class RecordingRuntime implements DiffusionRuntime {
  readonly calls: string[] = [];
  private failureListener: ((error: Error) => void) | null = null;
  disposed = false;

  constructor(
    readonly name: string,
    readonly model: ModelInfo = MODEL,
  ) {}

  async encodeText(ids: readonly Int32Array[]) {
    this.calls.push(`text ${ids.length}`);
    return ids.map(() => new Float32Array(1));
  }

  async unet(rows: readonly UnetRow[]) {
    this.calls.push(`unet ${rows.map((r) => r.timestep).join(",")}`);
    return rows.map((r) => Float32Array.of(r.timestep));
  }

  async decode(latents: readonly Float32Array[]) {
    this.calls.push(`decode ${latents.length}`);
    return latents.map(() => new Float32Array(3));
  }

  onFailure(listener: (error: Error) => void) {
    this.failureListener = listener;
  }

  die() {
    this.failureListener?.(new Error(`${this.name} exited`));
  }

  async dispose() {
    this.disposed = true;
  }
}

const rows = (n: number): UnetRow[] =>
  Array.from({ length: n }, (_, i) => ({
    sample: new Float32Array(1),
    timestep: i,
    context: new Float32Array(1),
  }));

describe("SplitUnetRuntime", () => {
  function setup() {
    const primary = new RecordingRuntime("primary");
    const a = new RecordingRuntime("a");
    const b = new RecordingRuntime("b");
    const warnings: string[] = [];
    const split = new SplitUnetRuntime(primary, [a, b], (m) => warnings.push(m));
    return { primary, a, b, split, warnings };
  }

  it("runs a lone row and an odd three on the primary, four rows as two shares in order", async () => {
    const { primary, a, b, split } = setup();
    await split.unet(rows(1), 4, 4);
    await split.unet(rows(3), 4, 4);
    const out = await split.unet(rows(4), 4, 4);
    expect(out.map((x) => x[0])).toEqual([0, 1, 2, 3]);
    expect(primary.calls).toEqual(["unet 0", "unet 0,1,2"]);
    expect(a.calls).toEqual(["unet 0,1"]);
    expect(b.calls).toEqual(["unet 2,3"]);
  });

  it("keeps the text encoder and the decoder on the primary", async () => {
    const { primary, a, b, split } = setup();
    await split.encodeText([new Int32Array(2), new Int32Array(2)]);
    await split.decode([new Float32Array(1), new Float32Array(1)], 4, 4);
    expect(primary.calls).toEqual(["text 2", "decode 2"]);
    expect([...a.calls, ...b.calls]).toEqual([]);
  });

  it("drops an instance whose thread dies, says so, and stops splitting when one is left", async () => {
    const { primary, a, b, split, warnings } = setup();
    b.die();
    b.die();
    expect(split.instanceCount).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/b exited.*1 left/);
    await split.unet(rows(4), 4, 4);
    expect(primary.calls).toEqual(["unet 0,1,2,3"]);
    expect([...a.calls, ...b.calls]).toEqual([]);
  });

  it("refuses instances of another model and disposes every runtime", async () => {
    const primary = new RecordingRuntime("primary");
    const other = new RecordingRuntime("other", { sha256: "def" } as ModelInfo);
    expect(() => new SplitUnetRuntime(primary, [other])).toThrow(/def.*abc/);
    const { split, a, b } = setup();
    await split.dispose();
    expect([a.disposed, b.disposed]).toEqual([true, true]);
  });
});

describe("planUnetInstances", () => {
  const cpu = { provider: "cpu", threads: 2, modelBytes: 100, unetBytes: 80, budgetBytes: 1000 };

  it("splits two cores into two single-thread instances on auto", () => {
    expect(planUnetInstances("auto", cpu)).toMatchObject({ count: 2, threadsEach: 1 });
    expect(planUnetInstances("auto", { ...cpu, threads: 8 })).toMatchObject({ threadsEach: 4 });
  });

  it.each([
    ["cuda", { ...cpu, provider: "cuda" }, /cuda/],
    ["one thread", { ...cpu, threads: 1 }, /one intra-op thread/],
    ["over the memory budget", { ...cpu, budgetBytes: 259 }, /DARKROOM_MODEL_MEMORY_MB/],
  ])("stays off on auto with %s", (_, context, reason) => {
    const plan = planUnetInstances("auto", context);
    expect(plan.count).toBe(0);
    expect(plan.reason).toMatch(reason);
  });

  it("fits the model and one more UNet per instance in the budget", () => {
    expect(planUnetInstances("auto", { ...cpu, budgetBytes: 260 }).count).toBe(2);
  });

  it("takes an explicit count, 0 and 1 meaning none", () => {
    expect(planUnetInstances(4, { ...cpu, threads: 8 })).toMatchObject({
      count: 4,
      threadsEach: 2,
    });
    expect(planUnetInstances(0, cpu).count).toBe(0);
    expect(planUnetInstances(1, cpu).count).toBe(0);
  });

  it("reads DARKROOM_UNET_INSTANCES: auto by default, a count, or an error naming it", () => {
    expect(loadOriginConfig({}).unetInstances).toBe("auto");
    expect(loadOriginConfig({ DARKROOM_UNET_INSTANCES: "3" }).unetInstances).toBe(3);
    for (const bad of ["-1", "17", "1.5", "many"]) {
      expect(() => loadOriginConfig({ DARKROOM_UNET_INSTANCES: bad })).toThrow(
        /DARKROOM_UNET_INSTANCES/,
      );
    }
  });
});

describe("a split pipeline on the real runtime", () => {
  const settings = {
    providers: ["cpu"] as Array<"cpu">,
    intraOpThreads: 2,
    interOpThreads: 1,
    cudaDevice: 0,
  };
  let dir: string;
  let split: DiffusionRuntime;
  let single: DiffusionRuntime;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "darkroom-split-"));
    await writeTinyModel(dir);
    split = (await loadPipeline({ ...settings, modelDir: dir, unetInstances: 2 })).runtime;
    single = await loadOnnxRuntime(dir, settings);
  });

  afterAll(async () => {
    await Promise.all([split?.dispose(), single?.dispose()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("splits, and returns the single session's exact floats for every row", async () => {
    expect(split).toBeInstanceOf(SplitUnetRuntime);
    expect((split as SplitUnetRuntime).instanceCount).toBe(2);
    const context = await single.encodeText([
      new Int32Array(77).fill(1),
      new Int32Array(77).fill(2),
    ]);
    const input = Array.from({ length: 4 }, (_, r) => ({
      sample: Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i + r)),
      timestep: 999 - 250 * r,
      context: context[r % 2]!,
    }));
    const [splitOut, singleOut] = [await split.unet(input, 8, 8), await single.unet(input, 8, 8)];
    expect(splitOut).toHaveLength(4);
    expect(splitOut).toEqual(singleOut);
  });

  it("loads only the UNet in an instance: the same model and floats, no text encoder or decoder", async () => {
    const unetOnly = await loadOnnxRuntime(dir, { ...settings, graphs: "unet" });
    try {
      expect(unetOnly.model).toEqual(single.model);
      const context = (await single.encodeText([new Int32Array(77).fill(3)]))[0]!;
      const rows = [{ sample: new Float32Array(4 * 8 * 8).fill(0.2), timestep: 500, context }];
      expect(await unetOnly.unet(rows, 8, 8)).toEqual(await single.unet(rows, 8, 8));
      await expect(unetOnly.encodeText([new Int32Array(77)])).rejects.toThrow(/only the UNet/);
      await expect(unetOnly.decode([new Float32Array(4 * 8 * 8)], 8, 8)).rejects.toThrow(
        /only the UNet/,
      );
    } finally {
      await unetOnly.dispose();
    }
  });
});
