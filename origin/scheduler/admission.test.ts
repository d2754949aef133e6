// Admission's arithmetic on hand-built queues: what runs ahead of a new job, and whether it fits.
import { describe, expect, it } from "vitest";
import type { Tier } from "../../protocol/tiers";
import type { GenerateParams } from "../engine/pipeline";
import { admit, workAheadMs } from "./admission";
import { CostModel } from "./cost-model";
import { WorkItem, type WorkState } from "./work-item";

/** One 256² image: 32 × 32 latent cells. */
const CELLS = 32 * 32;

const guided: GenerateParams = {
  prompt: "p",
  negative_prompt: "",
  n: 1,
  width: 256,
  height: 256,
  steps: 20,
  guidance_scale: 5,
  seed: 1,
  scheduler: "ddim",
};

const fast: GenerateParams = { ...guided, steps: 2, guidance_scale: 0, scheduler: "euler" };

/** 100 ms per UNet row at 256², 40 ms per decoded image, 1 ms per text encode. */
function costs(): CostModel {
  const cost = new CostModel();
  cost.prime({ unetRowMs: 100, decodeImageMs: 40, cells: CELLS });
  return cost;
}

function item(tier: Tier, state: WorkState, stepsDone = 0, params = guided): WorkItem {
  const job = { requestId: tier, tier, priority: 5, budgetMs: 1e9, params };
  const work = new WorkItem(0, job, params, tier, 0, 1e9, CELLS, () => {}, undefined);
  work.state = state;
  work.stepsDone = stepsDone;
  return work;
}

describe("work ahead of a new job", () => {
  it("counts a lower tier's running UNet call, which cannot be interrupted, but none of its later steps", () => {
    const batch = item("batch", "running", 5);
    // Two rows (guided) × 100 ms: the call in progress.
    expect(workAheadMs([batch], "fast", costs())).toBe(200);
    // Its own tier waits for all of it: 15 steps of two rows, then the decode.
    expect(workAheadMs([batch], "batch", costs())).toBe(15 * 200 + 40);
  });

  it("adds the running job's decode when the call in progress is its last", () => {
    expect(workAheadMs([item("batch", "running", 19)], "fast", costs())).toBe(200 + 40);
  });

  it("counts nothing for lower-tier work that is queued or paused: it yields at the boundary", () => {
    const waiting = [item("batch", "queued"), item("quality", "paused", 3)];
    expect(workAheadMs(waiting, "fast", costs())).toBe(0);
  });

  it("refuses a fast request whose deadline the running batch call alone would make it miss", () => {
    const running = [item("batch", "running", 5)];
    const candidate = { tier: "fast" as const, params: fast, cells: CELLS };
    // Its own work: 1 ms encode + 2 steps × 100 ms + 40 ms decode = 241 ms; 200 ms are ahead of it.
    const verdict = admit(candidate, running, costs(), 300, false);
    expect(verdict).toMatchObject({ ok: false, predictedMs: 441, beyondDeadline: false });
    expect(admit(candidate, running, costs(), 450, false)).toMatchObject({
      ok: true,
      predictedMs: 441,
    });
  });
});
