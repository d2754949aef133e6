// POST /internal/v1/generate: validate, admit, run through the scheduler, encode, respond (JSON or SSE).
import { Hono } from "hono";
import { describeZodError } from "../../../protocol/errors";
import { type GenerateRequest, GenerateRequestSchema } from "../../../protocol/generate";
import { type BenchNullImage, benchNullResponse } from "../bench-null-image";
import { completedBody, failureError, jobFor } from "../generation-outcome";
import type { OriginMetrics } from "../metrics";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import type { OriginState, ServingParts } from "../origin-state";
import type { ReplayGuard } from "../replay-guard";
import { streamGeneration, wantsEventStream } from "./generate-stream";

export interface GenerateRouteDeps {
  state: OriginState;
  metrics: OriginMetrics;
  replay: ReplayGuard;
  region: string;
  now?: () => number;
  /** BENCHMARK-ONLY: answer with a fixed image instead of running inference. */
  benchNullImage?: BenchNullImage | undefined;
}

export function parseGenerateRequest(raw: string): GenerateRequest {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new OriginError("invalid_request", "Request body is not valid JSON.");
  }
  const parsed = GenerateRequestSchema.safeParse(json);
  if (!parsed.success) {
    const { message, param } = describeZodError(parsed.error);
    throw new OriginError("invalid_request", message, param);
  }
  return parsed.data;
}

function servingOrThrow(state: OriginState, req: GenerateRequest): ServingParts {
  const parts = state.serving();
  if (!parts) throw new OriginError("not_ready", `Origin is ${state.phase}; try another region.`);
  const { id } = parts.pipeline.model;
  if (req.model !== id && req.model !== "default") {
    throw new OriginError(
      "invalid_request",
      `Model ${req.model} is not served here (${id}).`,
      "model",
    );
  }
  return parts;
}

export function generateRoute(deps: GenerateRouteDeps) {
  const now = deps.now ?? (() => performance.now());
  return new Hono<OriginEnv>().post("/", async (c) => {
    const started = now();
    const req = parseGenerateRequest(c.get("rawBody"));
    c.set("tier", req.tier);
    if (!deps.replay.claim(req.request_id)) {
      throw new OriginError("invalid_signature", "request_id was already used within the window.");
    }
    if (deps.benchNullImage)
      return c.json(benchNullResponse(req, deps.benchNullImage, deps.region));
    const parts = servingOrThrow(deps.state, req);
    const completion = { metrics: deps.metrics, region: deps.region, now };
    if (wantsEventStream(c.req.header("accept"))) {
      return streamGeneration(c, { completion, parts, req, started });
    }
    const budgetMs = req.deadline_ms - (now() - started);
    // A client that hangs up stops its rows at the next step boundary.
    const outcome = await parts.scheduler.submit(jobFor(req, budgetMs, c.req.raw.signal));
    if (!outcome.ok) throw failureError(outcome);
    const body = await completedBody(completion, parts, req, outcome.result, started);
    if (outcome.result.degraded) c.header("x-darkroom-degraded", outcome.result.degraded);
    return c.json(body);
  });
}
