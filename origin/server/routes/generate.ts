// POST /internal/v1/generate: validate, admit, run through the scheduler, encode, respond (JSON or SSE).
import { Hono } from "hono";
import { type GenerateRequest, GenerateRequestSchema } from "../../../protocol/generate";
import { type BenchNullImage, benchNullResponse } from "../bench-null-image";
import type { DetachedRuns } from "../detached-runs";
import { responseBytes } from "../encode-response";
import { completedBody, failureError, jobFor } from "../generation-outcome";
import type { OriginMetrics } from "../metrics";
import type { OriginEnv } from "../origin-env";
import { OriginError } from "../origin-error";
import type { OriginState, ServingParts } from "../origin-state";
import { parseJsonBody } from "../parse-body";
import type { LedgerAnswer, RequestLedger } from "../request-ledger";
import { streamGeneration, wantsEventStream } from "./generate-stream";

export interface GenerateRouteDeps {
  state: OriginState;
  metrics: OriginMetrics;
  /** De-duplicates by request_id: a request delivered twice is computed once. */
  ledger: RequestLedger;
  /** Streamed runs a reader may come back to (`detach_grace_ms`). */
  detached: DetachedRuns;
  /** SSE keepalive period (default SSE_KEEPALIVE_MS). */
  sseKeepaliveMs?: number | undefined;
  region: string;
  now?: () => number;
  /** BENCHMARK-ONLY: answer with a fixed image instead of running inference. */
  benchNullImage?: BenchNullImage | undefined;
}

export function parseGenerateRequest(raw: string): GenerateRequest {
  return parseJsonBody(raw, GenerateRequestSchema);
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

const replay = (answer: LedgerAnswer) =>
  new Response(answer.body, { status: answer.status, headers: answer.headers });

export function generateRoute(deps: GenerateRouteDeps) {
  const now = deps.now ?? (() => performance.now());
  return new Hono<OriginEnv>().post("/", async (c) => {
    const started = now();
    const req = parseGenerateRequest(c.get("rawBody"));
    c.set("tier", req.tier);
    if (deps.benchNullImage)
      return c.json(benchNullResponse(req, deps.benchNullImage, deps.region));
    const parts = servingOrThrow(deps.state, req);
    const completion = { metrics: deps.metrics, region: deps.region, now };
    const streamed = wantsEventStream(c.req.header("accept"));
    const claim = deps.ledger.claim(req, streamed);
    if (claim.kind === "conflict")
      throw new OriginError("idempotency_conflict", claim.reason, "request_id");
    const { entry } = claim;
    entry.attach(c.req.raw.signal);
    if (claim.kind === "join") return replay(await entry.answer);
    if (streamed) {
      try {
        return await streamGeneration(c, {
          completion,
          parts,
          req,
          started,
          detached: deps.detached,
          ...(deps.sseKeepaliveMs ? { keepaliveMs: deps.sseKeepaliveMs } : {}),
        });
      } catch (error) {
        // Refused before the first byte: nothing ran, so a retry of this id may run.
        deps.ledger.settle(req.request_id, entry, null);
        throw error;
      }
    }
    try {
      const budgetMs = req.deadline_ms - (now() - started);
      // Every connection waiting on it hanging up stops its rows at the next step boundary.
      const outcome = await parts.scheduler.submit(jobFor(req, budgetMs, entry.signal));
      if (!outcome.ok) throw failureError(outcome);
      const body = await completedBody(completion, parts, req, outcome.result, started);
      const answer: LedgerAnswer = {
        status: 200,
        body: responseBytes(body),
        headers: {
          "content-type": "application/json",
          ...(outcome.result.degraded ? { "x-darkroom-degraded": outcome.result.degraded } : {}),
        },
      };
      entry.finish(answer);
      deps.ledger.settle(req.request_id, entry, answer);
      return replay(answer);
    } catch (error) {
      entry.fail(error);
      deps.ledger.settle(req.request_id, entry, null);
      throw error;
    }
  });
}
