// A real origin process on loopback: signed generation, client-disconnect cancellation, SIGTERM drain.
import { availableParallelism } from "node:os";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OriginProcess, signedPost, startOriginProcess } from "../bench/lib/origin-process";
import { parseSse } from "../protocol/events";
import { LoadReportSchema } from "../protocol/load";
import { signRequest } from "../protocol/signing";
import { longRequest, validRequest } from "./support/origin-fixtures";

const SECRET = "process-test-secret";
let origin: OriginProcess;

beforeAll(async () => {
  origin = await startOriginProcess({ port: 18850, region: "test", secret: SECRET });
});
afterAll(async () => {
  await origin?.stop();
});

async function metric(name: string): Promise<number> {
  const text = await (await request(`${origin.url}/metrics`)).body.text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

describe("origin process", () => {
  it("reports its measured per-megapixel costs in the load report from the start", async () => {
    const path = "/internal/v1/load";
    const headers = await signRequest(SECRET, { method: "GET", path, body: "" });
    const res = await request(`${origin.url}${path}`, { headers });
    const report = LoadReportSchema.parse(await res.body.json());
    // Primed from batch calibration: not the placeholder of 0.001 ms per latent cell (15.625/Mpx).
    expect(report.costs?.row_step_ms_per_mpx).toBeGreaterThan(0);
    expect(report.costs?.row_step_ms_per_mpx).not.toBeCloseTo(15.625, 3);
    expect(report.costs?.decode_ms_per_mpx).toBeGreaterThan(0);
  });

  it("serves a signed generate call with the receipt metadata", async () => {
    const res = await signedPost(origin.url, "/internal/v1/generate", validRequest(), SECRET);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      metadata: { region: "test", model: "tiny-sd", execution_provider: "cpu" },
    });
  });

  it("splits UNet calls across two instances by default on a multi-core CPU", async () => {
    expect(await metric("darkroom_origin_unet_instances")).toBe(
      availableParallelism() >= 2 ? 2 : 0,
    );
  });

  it("drops the rows of a client that hangs up", async () => {
    const before = await metric("darkroom_origin_cancellations_total");
    const body = JSON.stringify(longRequest(4));
    const path = "/internal/v1/generate";
    const headers = await signRequest(SECRET, { method: "POST", path, body });
    const controller = new AbortController();
    const pending = request(`${origin.url}${path}`, {
      method: "POST",
      body,
      headers: { ...headers, "content-type": "application/json" },
      signal: controller.signal,
    }).catch(() => null);
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await pending;
    let after = before;
    for (let i = 0; i < 400 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await metric("darkroom_origin_cancellations_total");
    }
    expect(after).toBe(before + 1);
  });

  it("streams progress events and drops the rows when a streaming client hangs up", async () => {
    const before = await metric("darkroom_origin_cancellations_total");
    const body = JSON.stringify(
      validRequest({ tier: "quality", steps: 50, scheduler: "ddim", guidance_scale: 5 }),
    );
    const path = "/internal/v1/generate";
    const headers = await signRequest(SECRET, { method: "POST", path, body });
    const controller = new AbortController();
    const res = await request(`${origin.url}${path}`, {
      method: "POST",
      body,
      headers: { ...headers, "content-type": "application/json", accept: "text/event-stream" },
      signal: controller.signal,
    });
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    let text = "";
    for await (const chunk of res.body) {
      text += chunk.toString();
      if (parseSse(text).messages.some((m) => m.event === "progress")) break;
    }
    expect(
      parseSse(text)
        .messages.map((m) => m.event)
        .slice(0, 2),
    ).toEqual(["queued", "started"]);
    controller.abort();
    let after = before;
    for (let i = 0; i < 400 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await metric("darkroom_origin_cancellations_total");
    }
    expect(after).toBe(before + 1);
  });

  it.each([
    ["declares its length", false],
    ["arrives chunked, with no length", true],
  ])(
    "refuses with 413 a body over 64 KiB that %s, before checking its signature",
    async (_, chunked) => {
      const big = Buffer.alloc(70 * 1024, "a");
      // A Readable has no length to declare, so undici sends it chunked.
      const parts = Array.from({ length: 7 }, (_, i) => big.subarray(i * 10240, (i + 1) * 10240));
      const body = chunked ? Readable.from(parts) : big;
      const res = await request(`${origin.url}/internal/v1/generate`, {
        method: "POST",
        body,
        headers: { "content-type": "application/json" },
      });
      expect(res.statusCode).toBe(413);
      expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe(
        "payload_too_large",
      );
    },
  );

  it("drains on SIGTERM: readyz turns 503, in-flight work finishes, then the process exits", async () => {
    // Seconds of work, signalled only once it runs: the drain must let it finish.
    const inFlight = signedPost(origin.url, "/internal/v1/generate", longRequest(1), SECRET);
    const running = async () => {
      const text = await (await request(`${origin.url}/metrics`)).body.text();
      return /darkroom_origin_rows\{state="running"\} [1-9]/.test(text);
    };
    for (let i = 0; i < 500 && !(await running()); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await running(), "the request never started running").toBe(true);
    const exited = new Promise<number | null>((resolve) =>
      origin.child.once("exit", (code) => resolve(code)),
    );
    origin.child.kill("SIGTERM");
    // Poll rather than sample once: on a loaded machine the signal can take a while to land.
    let ready = 200;
    for (let i = 0; i < 200 && ready === 200; i++) {
      await new Promise((r) => setTimeout(r, 10));
      ready = await request(`${origin.url}/readyz`).then(
        (r) => r.statusCode,
        () => 0,
      );
    }
    // Still listening while it drains (the listener closes last), and saying it is not ready.
    expect(ready).toBe(503);
    expect((await inFlight).status).toBe(200);
    expect(await exited).toBe(0);
  });
});

describe("origin process, signalled twice", () => {
  it("hands back work in flight as 503 not_ready at a second SIGTERM, then exits 1 without aborting", async () => {
    const second = await startOriginProcess({ port: 18851, region: "test", secret: SECRET });
    try {
      const long = signedPost(second.url, "/internal/v1/generate", longRequest(2), SECRET);
      await new Promise((r) => setTimeout(r, 500));
      const exited = new Promise<[number | null, string | null]>((resolve) =>
        second.child.once("exit", (code, signal) => resolve([code, signal])),
      );
      second.child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      second.child.kill("SIGTERM");
      const answer = await long;
      expect(answer.status).toBe(503);
      expect(answer.json).toMatchObject({ error: { code: "not_ready" } });
      // Exiting under onnxruntime's threads would end in SIGABRT; the graph call finishes first.
      expect(await exited).toEqual([1, null]);
    } finally {
      await second.stop();
    }
  });
});
