// Open-loop load: Poisson arrivals at a fixed rate, independent of how fast the server answers.
import { Agent, request } from "undici";
import { signRequest } from "../../protocol/signing";

export interface OpenLoopSample {
  tier: string;
  ms: number;
  status: number;
}

/** Exponential inter-arrival times from a seeded LCG, so runs are comparable. */
export function poissonGaps(ratePerSecond: number, count: number, seed = 1): number[] {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  return Array.from({ length: count }, () => (-Math.log(uniform()) / ratePerSecond) * 1000);
}

export async function openLoop(opts: {
  url: string;
  secret: string;
  ratePerSecond: number;
  requests: number;
  body: (i: number) => Record<string, unknown> & { tier: string };
  seed?: number;
}): Promise<{ samples: OpenLoopSample[]; wallMs: number }> {
  const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000 });
  const gaps = poissonGaps(opts.ratePerSecond, opts.requests, opts.seed);
  const samples: OpenLoopSample[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  let due = start;
  for (let i = 0; i < opts.requests; i++) {
    due += gaps[i]!;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = opts.body(i);
    const text = JSON.stringify(body);
    const path = "/internal/v1/generate";
    const headers = await signRequest(opts.secret, { method: "POST", path, body: text });
    const sent = performance.now();
    inflight.push(
      request(`${opts.url}${path}`, {
        method: "POST",
        body: text,
        headers: { ...headers, "content-type": "application/json" },
        dispatcher: agent,
      }).then(
        async (res) => {
          // Read to the last byte: dump() stops at 128 KiB by default and resets the connection.
          await res.body.dump({ limit: 256 * 1024 * 1024 });
          samples.push({ tier: body.tier, ms: performance.now() - sent, status: res.statusCode });
        },
        () => {
          samples.push({ tier: body.tier, ms: performance.now() - sent, status: 0 });
        },
      ),
    );
  }
  await Promise.all(inflight);
  const wallMs = performance.now() - start;
  await agent.close();
  return { samples, wallMs };
}
