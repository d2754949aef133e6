// A FAKE origin for Workers tests: intercepts the worker's outbound fetch to the FAKE_ORIGINS hosts and answers
// POST /internal/v1/generate, GET /readyz and GET /internal/v1/load as the real origin's contract says.
import { vi } from "vitest";
import { type ErrorCode, errorBody } from "../../protocol/errors";
import {
  type GenerateRequest,
  GenerateRequestSchema,
  type GenerateResponse,
} from "../../protocol/generate";
import type { LoadReport } from "../../protocol/load";
import {
  SIGNATURE_HEADER,
  sha256Hex,
  TIMESTAMP_HEADER,
  verifySignature,
} from "../../protocol/signing";

/** vitest.config.ts gives the test Worker this secret. */
export const TEST_ORIGIN_SECRET = "test-origin-secret";
/** `.test` hosts: if the fake is not installed, the call fails to resolve instead of reaching a real origin. */
export const FAKE_ORIGINS = [
  { region: "us", url: "http://us.fake-origin.test" },
  { region: "eu", url: "http://eu.fake-origin.test" },
] as const;
/** The fake origins as the bootstrap list. Breakers are set never to trip here: tests not about them
 *  must not see one test's failures (the same file shares the RegionBoard) reroute the next. */
export const FAKE_ORIGIN_BINDINGS = {
  ORIGINS: JSON.stringify(FAKE_ORIGINS),
  BREAKER_FAILURES: "1000000000",
  BREAKER_MIN_REQUESTS: "1000000000",
};

type Region = (typeof FAKE_ORIGINS)[number]["region"];

export interface OriginCall {
  region: Region;
  body: GenerateRequest;
  headers: Headers;
  /** The edge's abort signal for this attempt (first-byte or whole-attempt timeout). */
  signal?: AbortSignal | null;
}

export type OriginBehaviour = (call: OriginCall) => Response | Promise<Response>;

/** A real 1×1 PNG; `padBytes` appends bytes (the hash still matches) to make big images. */
const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

function imageBytes(seed: number, padBytes: number): Uint8Array {
  const png = Uint8Array.from(atob(PNG_1X1), (ch) => ch.charCodeAt(0));
  const bytes = new Uint8Array(png.length + padBytes + 4);
  bytes.set(png);
  new DataView(bytes.buffer).setUint32(png.length + padBytes, seed);
  return bytes;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Answers like the origin: n images with seeds seed, seed+1, …, their real SHA-256 and metadata. */
export function succeed(options: { padBytes?: number; model?: string } = {}): OriginBehaviour {
  return async ({ region, body }) => {
    const images = await Promise.all(
      Array.from({ length: body.n }, async (_, i) => {
        const bytes = imageBytes(body.seed + i, options.padBytes ?? 0);
        return {
          b64: toBase64(bytes),
          seed: body.seed + i,
          sha256: await sha256Hex(bytes),
          width: body.width,
          height: body.height,
          format: body.output_format,
        };
      }),
    );
    const timings = {
      queue_ms: 1,
      text_encode_ms: 2,
      denoise_ms: 3,
      decode_ms: 4,
      postprocess_ms: 5,
      total_ms: 15,
    };
    const response: GenerateResponse = {
      images,
      metadata: {
        request_id: body.request_id,
        region,
        model: options.model ?? (body.model === "default" ? "tiny-sd" : body.model),
        model_hash: "f".repeat(64),
        tier: body.tier,
        scheduler: body.scheduler,
        steps: body.steps,
        guidance_scale: body.guidance_scale,
        execution_provider: "cpu",
        onnxruntime_version: "1.30.0",
        timings,
      },
    };
    return Response.json(response);
  };
}

export const refuseConnection: OriginBehaviour = () => {
  throw new TypeError("fake origin: connection refused");
};

export function answerError(
  status: number,
  code: ErrorCode,
  headers: Record<string, string> = {},
  param: string | null = null,
): OriginBehaviour {
  return () =>
    Response.json(errorBody(code, `fake origin says ${code}`, param), { status, headers });
}

/** Never answers; gives up only when the edge aborts the attempt, like a hung origin. */
export const hangUp: OriginBehaviour = ({ signal }) =>
  new Promise((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener("abort", () => reject(signal.reason));
  });

/** Holds every call until `release()`, then behaves as `then`: for observing work in flight. */
export function hold(then: OriginBehaviour = succeed()) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let arrived!: () => void;
  const firstArrival = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const behaviour: OriginBehaviour = async (call) => {
    arrived();
    await released;
    return then(call);
  };
  return { behaviour, release, firstArrival };
}

/** What the probe endpoints say: ready (GET /readyz 200) and the load report, or no connection. */
export interface ProbeAnswer {
  readonly ready?: boolean;
  readonly load?: Partial<LoadReport>;
  readonly refuse?: boolean;
}

const IDLE_TIER = { queue_depth: 0, predicted_wait_ms: 0, step_ms: 10 };

function loadReport(region: Region, answer: ProbeAnswer): LoadReport {
  return {
    region,
    ready: answer.ready ?? true,
    draining: false,
    models: ["tiny-sd"],
    tiers: { fast: IDLE_TIER, quality: IDLE_TIER, batch: IDLE_TIER },
    capacity: { running_rows: 0, max_rows: 8 },
    ...answer.load,
  };
}

export interface FakeOriginOptions {
  readonly probes?: Partial<Record<Region, ProbeAnswer>>;
}

export function installFakeOrigin(
  behaviours: Partial<Record<Region, OriginBehaviour>> = {},
  options: FakeOriginOptions = {},
) {
  const calls: OriginCall[] = [];
  const probes: { region: Region; path: string }[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const target = FAKE_ORIGINS.find((o) => new URL(o.url).host === url.host);
    if (!target) throw new TypeError(`fake origin: unexpected fetch to ${url.host}`);
    const probe = options.probes?.[target.region] ?? {};
    if (url.pathname === "/readyz") {
      probes.push({ region: target.region, path: url.pathname });
      if (probe.refuse) throw new TypeError("fake origin: connection refused");
      const ready = probe.ready ?? true;
      return Response.json({ status: ready ? "ready" : "loading" }, { status: ready ? 200 : 503 });
    }
    const raw = await request.text();
    if (!(await signedByEdge(request, url, raw))) {
      return Response.json(errorBody("invalid_signature", "bad"), { status: 401 });
    }
    if (url.pathname === "/internal/v1/load" && request.method === "GET") {
      probes.push({ region: target.region, path: url.pathname });
      if (probe.refuse) throw new TypeError("fake origin: connection refused");
      return Response.json(loadReport(target.region, probe));
    }
    const call = {
      region: target.region,
      body: GenerateRequestSchema.parse(JSON.parse(raw)),
      headers: request.headers,
      signal: init?.signal ?? null,
    };
    calls.push(call);
    return (behaviours[target.region] ?? succeed())(call);
  });
  return { calls, probes, spy };
}

/** Checks a request's signature as a real origin does (the test Worker's secret, the raw body). */
export async function signedByEdge(request: Request, url: URL, raw: string): Promise<boolean> {
  const signature = await verifySignature(
    [TEST_ORIGIN_SECRET],
    {
      timestamp: request.headers.get(TIMESTAMP_HEADER),
      signature: request.headers.get(SIGNATURE_HEADER),
    },
    { method: request.method, path: url.pathname, body: raw },
  );
  return signature.ok;
}
