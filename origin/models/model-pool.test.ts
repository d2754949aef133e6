// The model pool: LRU under a budget, no unload while leased, one load for concurrent acquires.
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeTinyModel } from "../model/tiny";
import { estimateModelBytes } from "./model-memory";
import { ModelPool } from "./model-pool";
import { ModelStore } from "./model-store";
import { createPipelinePool } from "./pipeline-pool";

interface FakeModel {
  id: string;
  unloaded: boolean;
}

/** A pool of fake models whose sizes come from `sizes`; records loads and unloads. */
function fakePool(budgetBytes: number, sizes: Record<string, number>) {
  const loads: string[] = [];
  const unloads: string[] = [];
  const events: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const pool = new ModelPool<FakeModel>({
    budgetBytes,
    locate: async (id) =>
      id in sizes ? { ok: true, dir: `/models/${id}` } : { ok: false, message: `no ${id}` },
    estimate: async (dir) => sizes[dir.split("/").at(-1)!]!,
    load: async (_dir, id) => {
      loads.push(id);
      events.push(`load ${id}`);
      await gate;
      if (id === "broken") throw new Error("bad graph");
      return { id, unloaded: false };
    },
    unload: async (model) => {
      model.unloaded = true;
      unloads.push(model.id);
      events.push(`unload ${model.id}`);
    },
  });
  const hold = (ready: Promise<void>) => {
    gate = ready;
  };
  return { pool, loads, unloads, events, hold };
}

async function leaseOf<M>(pool: ModelPool<M>, id: string) {
  const result = await pool.acquire(id);
  if (!result.ok) throw new Error(result.failure.message);
  return result.lease;
}

describe("ModelPool", () => {
  it("evicts and unloads the least recently used model when the budget is exceeded", async () => {
    const { pool, loads, unloads } = fakePool(250, { a: 100, b: 100, c: 100 });
    (await leaseOf(pool, "a")).release();
    (await leaseOf(pool, "b")).release();
    (await leaseOf(pool, "a")).release();
    (await leaseOf(pool, "c")).release();
    expect(unloads).toEqual(["b"]);
    expect(pool.resident()).toEqual({ ids: ["c", "a"], bytes: 200 });
    (await leaseOf(pool, "a")).release();
    expect(loads).toEqual(["a", "b", "c"]);
  });

  it("unloads the evicted model before loading the new one, so the two never peak together", async () => {
    const { pool, events } = fakePool(150, { a: 100, b: 100 });
    (await leaseOf(pool, "a")).release();
    (await leaseOf(pool, "b")).release();
    expect(events).toEqual(["load a", "unload a", "load b"]);
  });

  it("defers unloading an evicted model until its last lease is released", async () => {
    const { pool, loads, unloads } = fakePool(150, { a: 100, b: 100 });
    const first = await leaseOf(pool, "a");
    const second = await leaseOf(pool, "a");
    (await leaseOf(pool, "b")).release();
    expect(pool.resident().ids).toEqual(["b"]);
    expect(first.model.unloaded).toBe(false);
    first.release();
    first.release();
    expect(unloads).toEqual([]);
    second.release();
    await Promise.resolve();
    expect(unloads).toEqual(["a"]);
    expect(loads).toEqual(["a", "b"]);
  });

  it("reuses an evicted model that is still leased instead of loading a second copy", async () => {
    const { pool, loads } = fakePool(150, { a: 100, b: 100 });
    const held = await leaseOf(pool, "a");
    (await leaseOf(pool, "b")).release();
    const again = await leaseOf(pool, "a");
    expect(again.model).toBe(held.model);
    expect(loads).toEqual(["a", "b"]);
    expect(pool.resident().ids).toEqual(["a"]);
  });

  it("shares one load between concurrent acquires of an unloaded model", async () => {
    const { pool, loads, hold } = fakePool(1000, { a: 100 });
    let open!: () => void;
    hold(new Promise<void>((resolve) => (open = resolve)));
    const pending = [pool.acquire("a"), pool.acquire("a"), pool.acquire("a")];
    open();
    const results = await Promise.all(pending);
    expect(loads).toEqual(["a"]);
    const models = results.map((r) => (r.ok ? r.lease.model : undefined));
    expect(new Set(models).size).toBe(1);
    expect(models[0]).toBeDefined();
  });

  it("answers over-budget, unknown and failing models with values, and retries a failed load", async () => {
    const { pool, loads } = fakePool(150, { huge: 400, broken: 10 });
    expect(await pool.acquire("huge")).toMatchObject({
      ok: false,
      failure: { kind: "over_budget" },
    });
    expect(await pool.acquire("nope")).toMatchObject({
      ok: false,
      failure: { kind: "model_unavailable" },
    });
    const broken = await pool.acquire("broken");
    expect(broken).toMatchObject({ ok: false, failure: { kind: "load_failed" } });
    if (!broken.ok) expect(broken.failure.message).toContain("bad graph");
    await pool.acquire("broken");
    expect(loads).toEqual(["broken", "broken"]);
  });
});

describe("createPipelinePool on the real runtime", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("releases an evicted model's onnxruntime sessions", async () => {
    const root = await mkdtemp(join(tmpdir(), "darkroom-pool-"));
    dirs.push(root);
    await writeTinyModel(join(root, "one"));
    await cp(join(root, "one"), join(root, "two"), { recursive: true });
    const pool = createPipelinePool({
      // Room for one tiny model, not two.
      budgetBytes: Math.floor((await estimateModelBytes(join(root, "one"))) * 1.5),
      sources: new Map([
        ["one", { dir: join(root, "one") }],
        ["two", { dir: join(root, "two") }],
      ]),
      store: new ModelStore({ cacheDir: join(root, "cache") }),
      settings: { providers: ["cpu"], intraOpThreads: 1, interOpThreads: 1, cudaDevice: 0 },
    });
    const one = await leaseOf(pool, "one");
    const ids = [new Int32Array(one.model.runtime.model.seqLen).fill(1)];
    await expect(one.model.runtime.encodeText(ids)).resolves.toHaveLength(1);
    one.release();
    const two = await leaseOf(pool, "two");
    expect(pool.resident().ids).toEqual(["two"]);
    await expect(one.model.runtime.encodeText(ids)).rejects.toThrow();
    await expect(two.model.runtime.encodeText(ids)).resolves.toHaveLength(1);
    two.release();
    pool.clear();
  });
});
