// Closed-loop HTTP load over keep-alive connections with microsecond timing (process.hrtime.bigint).
import { Pool } from "undici";

export interface LoopRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoopResult {
  /** One latency per completed request, in ms (µs resolution): send → last body byte. */
  samplesMs: number[];
  errors: number;
  firstError: string | null;
  wallMs: number;
}

/** One pool per target, one connection per virtual client, no pipelining: a closed loop. */
export function keepAlivePool(url: string, concurrency: number): Pool {
  return new Pool(url, {
    connections: concurrency,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
  });
}

export async function closedLoop(opts: {
  pool: Pool;
  concurrency: number;
  requests: number;
  timeCapMs: number;
  /** Builds request i (signing included) before its clock starts. */
  prepare: (i: number) => Promise<LoopRequest> | LoopRequest;
}): Promise<LoopResult> {
  const samplesMs: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let next = 0;
  const started = process.hrtime.bigint();
  const capNs = BigInt(Math.round(opts.timeCapMs * 1e6));
  const client = async () => {
    while (next < opts.requests && process.hrtime.bigint() - started < capNs) {
      const request = await opts.prepare(next++);
      const t0 = process.hrtime.bigint();
      try {
        const response = await opts.pool.request({
          method: "POST",
          path: request.path,
          headers: request.headers,
          body: request.body,
        });
        const body = await response.body.text();
        const t1 = process.hrtime.bigint();
        if (response.statusCode !== 200) {
          errors++;
          firstError ??= `${response.statusCode} ${body.slice(0, 300)}`;
          continue;
        }
        samplesMs.push(Number(t1 - t0) / 1e6);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, client));
  return { samplesMs, errors, firstError, wallMs: Number(process.hrtime.bigint() - started) / 1e6 };
}
