// Multi-process: origins us, eu, ap behind chaos proxies and the edge under wrangler dev; a region dies, hangs or fails.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  delivered,
  failures,
  type GenerationRecord,
  generate,
  servedBy,
  steadyLoad,
} from "../support/generation-client";
import {
  createJob,
  FAST_JOB,
  followJob,
  getJob,
  type JobEvent,
  LONG_JOB,
  progressSteps,
  runJob,
  startedRegion,
  streamContractBreaches,
} from "../support/job-client";
import { sleep, until } from "../support/poll";
import { type BedTenant, type RegionBed, startRegionBed } from "../support/region-bed";
import {
  auditedImages,
  auditedUnits,
  settledJobLedger,
  settledLedger,
} from "../support/usage-ledger";

/** Short breaker settings so a scenario sees open → half-open → closed in seconds. */
const BREAKER_FAILURES = 3;
const BREAKER_COOLDOWN_MS = 2_000;
const LOAD_CLIENTS = 3;

let bed: RegionBed;

beforeAll(async () => {
  bed = await startRegionBed({
    edgePort: 19787,
    originPortBase: 19701,
    edgeVars: {
      BREAKER_FAILURES: String(BREAKER_FAILURES),
      BREAKER_COOLDOWN_MS: String(BREAKER_COOLDOWN_MS),
    },
  });
}, 300_000);

afterAll(async () => {
  await bed?.stop();
}, 60_000);

const send = (tenant: BedTenant) => generate(bed.stack.edgeUrl, tenant.key);
const chaosOf = (region: string) => bed.stack.region(region).chaos!;

function expectRegistry() {
  expect(bed.stack.originsRegistered, "the edge has no /admin/origins registry").toBe(true);
}

/** The region the edge picks first while every region is healthy: the one a lone request lands on. */
async function preferredRegion(tenant: BedTenant, into: GenerationRecord[]): Promise<string> {
  const first = await send(tenant);
  into.push(first);
  expect(first.status, `warm-up request failed: ${first.errorCode}`).toBe(200);
  return first.region!;
}

/** "open", or "half_open" (an open breaker whose cool-down passed): either way it opened. */
async function breakerOpened(region: string) {
  const state = await bed.breaker(region);
  return state === "open" || state === "half_open";
}

/** Polls the registry until `region`'s breaker has opened; returns when that was seen, or null. */
async function breakerOpenedAt(region: string, timeoutMs: number) {
  let seenAt: number | null = null;
  await until(async () => {
    if (!(await breakerOpened(region))) return false;
    seenAt = performance.now();
    return true;
  }, timeoutMs);
  return seenAt as number | null;
}

/** Usage and audit agree with what the clients received: nothing lost, nothing charged twice. */
async function expectLedgerAgrees(tenant: BedTenant, records: readonly GenerationRecord[]) {
  const ledger = await settledLedger(bed.stack.edgeUrl, bed.adminToken, tenant, records);
  const ok = records.filter((r) => r.status === 200);
  // Without deliveries every check below is 0 === 0: the test that made them must have run.
  expect(delivered(records), "no generation delivered an image").toBeGreaterThan(0);
  expect(ledger.imagesReserved).toBe(0);
  expect(ledger.imagesUsed).toBe(delivered(records));
  expect(auditedImages(ledger)).toBe(delivered(records));
  expect(auditedUnits(ledger)).toBe(ledger.unitsUsed);
  const auditedOk = ledger.audit.filter((r) => r.status === 200);
  expect(auditedOk.map((r) => `${r.request_id}@${r.region}`).sort()).toEqual(
    ok.map((r) => `${r.requestId}@${r.region}`).sort(),
  );
  expect(ledger.audit.filter((r) => r.status !== 200 && r.cost_charged > 0)).toEqual([]);
}

describe("the preferred origin is killed under steady load", () => {
  const records: GenerationRecord[] = [];
  let tenant: BedTenant;
  let preferred = "";
  beforeAll(async () => {
    tenant = await bed.newTenant("killed-origin");
    await bed.resetChaos();
  });

  it("loses no client request, opens its breaker and moves the traffic", async () => {
    expectRegistry();
    preferred = await preferredRegion(tenant, records);
    const load = steadyLoad(LOAD_CLIENTS, () => send(tenant));
    let openedAt: number | null = null;
    let attemptsWhileOpen = 0;
    try {
      // Steady state first: the preferred region has been serving the load.
      await until(() => (servedBy(load.records).get(preferred) ?? 0) >= 3, 30_000);
      await bed.stack.region(preferred).kill();
      openedAt = await breakerOpenedAt(preferred, 30_000);
      const attemptsAtOpen = chaosOf(preferred).stats().generate;
      const sentBeforeOpen = load.records.length;
      await until(() => load.records.length >= sentBeforeOpen + 3 * LOAD_CLIENTS, 30_000);
      attemptsWhileOpen = chaosOf(preferred).stats().generate - attemptsAtOpen;
    } finally {
      records.push(...(await load.stop()));
    }

    expect(failures(records)).toEqual([]);
    expect(openedAt, `the breaker of ${preferred} never opened`).not.toBeNull();
    const afterOpen = records.filter((r) => r.sentAt > openedAt!);
    expect(afterOpen.length).toBeGreaterThanOrEqual(3 * LOAD_CLIENTS);
    expect(afterOpen.filter((r) => r.region === preferred)).toEqual([]);
    // An open breaker is skipped: far fewer attempts reach the dead region than requests were sent.
    expect(attemptsWhileOpen).toBeLessThan(afterOpen.length);
  }, 120_000);

  it("re-admits the restarted origin through a half-open trial", async () => {
    expectRegistry();
    await bed.stack.region(preferred).restart();
    // The process being back is not enough: only a successful trial closes the breaker.
    expect(await bed.breaker(preferred)).not.toBe("closed");
    await sleep(BREAKER_COOLDOWN_MS);
    let servedAgain = false;
    for (let i = 0; i < 40 && !servedAgain; i++) {
      const record = await send(tenant);
      records.push(record);
      servedAgain = record.status === 200 && record.region === preferred;
    }
    expect(failures(records)).toEqual([]);
    expect(servedAgain, `${preferred} never served again after its restart`).toBe(true);
    expect(await bed.breaker(preferred)).toBe("closed");
  }, 120_000);

  it("charges exactly the delivered images, each audited once", async () => {
    await expectLedgerAgrees(tenant, records);
  }, 60_000);
});

describe("a hung origin", () => {
  const records: GenerationRecord[] = [];
  let tenant: BedTenant;
  beforeAll(async () => {
    tenant = await bed.newTenant("hung-origin");
    await bed.resetChaos();
  });

  it("fails over within the request's deadline", async () => {
    const preferred = await preferredRegion(tenant, records);
    await chaosOf(preferred).hang();
    const record = await send(tenant);
    records.push(record);
    const hung = chaosOf(preferred).stats().hung;
    await bed.resetChaos();

    expect(record.status, `the request failed: ${record.errorCode}`).toBe(200);
    // The hung region was tried first and held the request: the failover was a timeout's.
    expect(hung).toBe(1);
    expect(record.region).not.toBe(preferred);
    expect(record.region).not.toBeNull();
  }, 60_000);

  it("charges exactly the delivered images, each audited once", async () => {
    await expectLedgerAgrees(tenant, records);
  }, 60_000);
});

describe("a residency-pinned tenant whose region is down", () => {
  const records: GenerationRecord[] = [];
  let tenant: BedTenant;
  beforeAll(async () => {
    tenant = await bed.newTenant("eu-pinned", "eu");
    await bed.resetChaos();
  });

  it("is served in its region while the region is up", async () => {
    const record = await send(tenant);
    records.push(record);
    expect(record.status, `the request failed: ${record.errorCode}`).toBe(200);
    expect(record.region).toBe("eu");
  }, 60_000);

  it("gets 503 no_capacity and never a foreign region", async () => {
    await chaosOf("eu").refuse();
    for (const region of bed.stack.regions) region.chaos?.resetCounts();
    const record = await send(tenant);
    records.push(record);
    const foreignAttempts = bed.stack.regions
      .filter((r) => r.region !== "eu")
      .map((r) => r.chaos!.stats().generate);
    await chaosOf("eu").pass();

    expect(record.status).toBe(503);
    expect(record.errorCode).toBe("no_capacity");
    expect([null, "eu"]).toContain(record.region);
    expect(foreignAttempts).toEqual([0, 0]);
  }, 60_000);

  it("audits the refusal with no foreign region and charges only what was delivered", async () => {
    await expectLedgerAgrees(tenant, records);
    const ledger = await settledLedger(bed.stack.edgeUrl, bed.adminToken, tenant, records);
    const refused = ledger.audit.filter((r) => r.status === 503);
    expect(refused).toHaveLength(1);
    expect([null, "eu"]).toContain(refused[0]!.region);
  }, 60_000);
});

describe("an origin returning 500", () => {
  const records: GenerationRecord[] = [];
  let tenant: BedTenant;
  beforeAll(async () => {
    tenant = await bed.newTenant("failing-origin");
    await bed.resetChaos();
  });

  it("fails over and opens the origin's breaker", async () => {
    expectRegistry();
    const preferred = await preferredRegion(tenant, records);
    await chaosOf(preferred).fail500();
    let open = false;
    for (let i = 0; i < 4 * BREAKER_FAILURES && !open; i++) {
      records.push(await send(tenant));
      open = await breakerOpened(preferred);
    }
    const injected = chaosOf(preferred).stats().failed500;
    await bed.resetChaos();

    expect(failures(records)).toEqual([]);
    expect(records.slice(1).filter((r) => r.region === preferred)).toEqual([]);
    expect(injected).toBeGreaterThanOrEqual(1);
    expect(open, `the breaker of ${preferred} never opened`).toBe(true);
  }, 60_000);

  it("charges exactly the delivered images, each audited once", async () => {
    await expectLedgerAgrees(tenant, records);
  }, 60_000);
});

describe("async jobs across regions", () => {
  let healer: BedTenant;
  const edgeUrl = () => bed.stack.edgeUrl;
  const heal = async () => {
    const healed = await bed.heal(() => send(healer));
    expect(healed, "a breaker stayed open after the bed was healed").toBe(true);
  };
  beforeAll(async () => {
    healer = await bed.newTenant("jobs-healer");
    await heal();
  }, 120_000);
  afterEach(heal, 120_000);

  const consecutiveFailures = async (region: string) =>
    (await bed.origins()).get(region)?.health?.consecutive_failures ?? 0;

  const breakBeforeFirstEvent = {
    "refuses connections": (region: string) => chaosOf(region).refuse(),
    // Fits: a non-last candidate's first-event budget leaves the next one most of the fast deadline.
    hangs: (region: string) => chaosOf(region).hang(),
  };

  it.each(Object.entries(breakBeforeFirstEvent))(
    "completes a fast job in another region when the preferred origin %s before the first event",
    async (how, breakRegion) => {
      expectRegistry();
      const tenant = await bed.newTenant(`job-preferred-${how.split(" ")[0]}`);
      const warmUp = await runJob(edgeUrl(), tenant.key, FAST_JOB);
      const warmUpEnd = warmUp.followed.events.at(-1)?.event;
      expect(warmUpEnd, "the warm-up job did not complete").toBe("completed");
      const preferred = startedRegion(warmUp.followed.events)!;
      const failuresBefore = await consecutiveFailures(preferred);
      await breakRegion(preferred);

      const { id, followed } = await runJob(edgeUrl(), tenant.key, FAST_JOB);
      // The preferred region was tried first and failed: the edge recorded it against its breaker.
      const tried = await until(
        async () => (await consecutiveFailures(preferred)) > failuresBefore,
        10_000,
      );
      const view = await getJob(edgeUrl(), tenant.key, id);

      expect(streamContractBreaches(followed)).toEqual([]);
      expect(followed.events.at(-1)?.event).toBe("completed");
      const region = startedRegion(followed.events);
      expect(region).not.toBeNull();
      expect(region).not.toBe(preferred);
      expect(tried, `no attempt at ${preferred} was recorded`).toBe(true);
      expect(view).toMatchObject({ status: "completed", region, error: null });
      expect(view.data).toHaveLength(1);

      const ledger = await settledJobLedger(edgeUrl(), bed.adminToken, tenant, [warmUp.id, id]);
      expect(ledger.imagesReserved).toBe(0);
      expect(ledger.imagesUsed).toBe(2);
      const outcome = ledger.outcomes.get(id) ?? [];
      expect(outcome).toMatchObject([{ status: 200, region, params: { n: 1 } }]);
      expect(outcome[0]!.cost_charged).toBeGreaterThan(0);
      expect(ledger.outcomes.get(warmUp.id)).toMatchObject([{ status: 200, region: preferred }]);
      expect(auditedUnits(ledger)).toBe(ledger.unitsUsed);
    },
    90_000,
  );

  it("ends a job failed, with its reason, when its origin is killed after the first progress event", async () => {
    expectRegistry();
    const tenant = await bed.newTenant("job-origin-killed");
    const job = await createJob(edgeUrl(), tenant.key, LONG_JOB);
    let region: string | null = null;
    let killed: string | null = null;
    const onEvent = async (event: JobEvent) => {
      if (event.event === "started") region = event.data.region as string;
      if (event.event !== "progress" || killed !== null || region === null) return;
      killed = region;
      await bed.stack.region(region).kill();
    };
    const followed = await followJob(edgeUrl(), tenant.key, job.id, onEvent, 120_000);
    const elsewhere = bed.stack.regions
      .filter((r) => r.region !== killed)
      .map((r) => r.chaos!.stats().generate);
    const view = await getJob(edgeUrl(), tenant.key, job.id);

    expect(streamContractBreaches(followed)).toEqual([]);
    expect(killed, "no progress event arrived from a started region").not.toBeNull();
    const failed = followed.events.at(-1)!;
    expect(failed.event, `the job ended ${failed.event}, not killed mid-run`).toBe("failed");
    const error = failed.data.error as { code: string; message: string };
    expect(error.code).toBe("upstream_error");
    expect(error.message).toContain(killed!);
    expect(progressSteps(followed.events).at(-1)).toBeLessThan(LONG_JOB.steps);
    // After its first event a job is never run again elsewhere.
    expect(elsewhere).toEqual([0, 0]);
    expect(view).toMatchObject({ status: "failed", region: killed, data: null });
    expect(view.error?.code).toBe("upstream_error");

    const ledger = await settledJobLedger(edgeUrl(), bed.adminToken, tenant, [job.id]);
    expect(ledger).toMatchObject({ imagesReserved: 0, imagesUsed: 0, unitsUsed: 0 });
    expect(ledger.outcomes.get(job.id)).toMatchObject([
      { status: 502, error_code: "upstream_error", cost_charged: 0 },
    ]);

    // The restarted origin is admitted again: its breaker closes and it serves the next job.
    await bed.stack.region(killed!).restart();
    const again = await runJob(edgeUrl(), tenant.key, FAST_JOB);
    expect(again.followed.events.at(-1)?.event).toBe("completed");
    expect(startedRegion(again.followed.events)).toBe(killed);
    expect(await bed.breaker(killed!)).toBe("closed");
  }, 180_000);
});
