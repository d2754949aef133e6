// A client's view of image generations through the edge: one call as a record, and steady closed-loop load.
import { Agent, fetch } from "undici";

export interface GenerationRecord {
  status: number;
  /** x-darkroom-region: who served it (absent on most errors). */
  region: string | null;
  /** x-request-id: the key of the request's audit record. */
  requestId: string | null;
  /** Images the client received (data.length on a 200). */
  images: number;
  /** error.code on a non-200, or the transport error's message. */
  errorCode: string | null;
  /** performance.now() at send and at the last body byte. */
  sentAt: number;
  doneAt: number;
}

/** The request the test bed sends: the fast tier, as small and cheap as the tier allows. */
export const FAST_REQUEST = {
  prompt: "a lighthouse on a cliff at dusk",
  size: "256x256",
  tier: "fast",
  steps: 1,
  n: 1,
  response_format: "b64_json",
} as const;

const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 64 });

export async function generate(
  edgeUrl: string,
  key: string,
  body: Record<string, unknown> = FAST_REQUEST,
  timeoutMs = 60_000,
): Promise<GenerationRecord> {
  const sentAt = performance.now();
  try {
    const response = await fetch(`${edgeUrl}/v1/images/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      dispatcher,
    });
    const json = (await response.json().catch(() => null)) as {
      data?: unknown[];
      error?: { code?: string };
    } | null;
    return {
      status: response.status,
      region: response.headers.get("x-darkroom-region"),
      requestId: response.headers.get("x-request-id"),
      images: response.status === 200 ? (json?.data?.length ?? 0) : 0,
      errorCode: response.status === 200 ? null : (json?.error?.code ?? "unreadable"),
      sentAt,
      doneAt: performance.now(),
    };
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return {
      status: 0,
      region: null,
      requestId: null,
      images: 0,
      errorCode: message,
      sentAt,
      doneAt: performance.now(),
    };
  }
}

export interface SteadyLoad {
  /** Everything completed so far (grows while the load runs). */
  readonly records: readonly GenerationRecord[];
  /** Stops sending and resolves with every record once the requests in flight finished. */
  stop(): Promise<GenerationRecord[]>;
}

/** `clients` closed loops, each sending the next request as soon as its last one finished. */
export function steadyLoad(clients: number, send: () => Promise<GenerationRecord>): SteadyLoad {
  const records: GenerationRecord[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) records.push(await send());
  });
  return {
    records,
    async stop() {
      running = false;
      await Promise.all(loops);
      return records;
    },
  };
}

export const delivered = (records: readonly GenerationRecord[]) =>
  records.reduce((sum, r) => sum + r.images, 0);

export const failures = (records: readonly GenerationRecord[]) =>
  records.filter((r) => r.status !== 200);

/** How many requests each region served. */
export function servedBy(records: readonly GenerationRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) {
    if (r.status === 200 && r.region) counts.set(r.region, (counts.get(r.region) ?? 0) + 1);
  }
  return counts;
}
