// bench:origin — origin end-to-end time over HTTP vs the pure onnxruntime time of the same graph calls.
// Ratio = e2e p50 / pure p50, both measured in this run on this machine, one request at a time.

import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { loadOriginConfig } from "../origin/config";
import { sessionSettingsFrom } from "../origin/load-pipeline";
import { ensureTinyModel } from "../origin/model/tiny";
import type { GenerateResponse } from "../protocol/generate";
import { TIER_SPECS, type Tier } from "../protocol/tiers";
import { runBench } from "./lib/cleanup";
import { presign, sendSignedBytes, startOriginProcess } from "./lib/origin-process";
import { openSessions, pureRequest } from "./lib/pure-onnx";
import { percentile, printTable, round2 } from "./lib/stats";

const MODEL_DIR = resolve(process.env.DARKROOM_MODEL_DIR ?? "models/tiny-sd");
/** The origin's session settings from this environment: its child and the pure runs share them. */
const SESSION = sessionSettingsFrom(loadOriginConfig(process.env));
const THREADS_LABEL = `${SESSION.intraOpThreads || availableParallelism()} intra-op, spinning ${SESSION.intraOpSpinning ?? "run"}`;
const SECRET = "bench-secret";
const ROUNDS = 4;
const CASES: Array<{ tier: Tier; size: number; iterations: number }> = [
  { tier: "fast", size: 256, iterations: 40 },
  { tier: "fast", size: 512, iterations: 20 },
  { tier: "quality", size: 256, iterations: 8 },
  { tier: "quality", size: 512, iterations: 4 },
];

/**
 * One untimed warm-up, then `iterations` timed runs: `prepare` (e.g. request signing) happens
 * before each timer starts and `check` after it stops.
 */
async function timeIt<T, R = void>(
  iterations: number,
  run: (prepared: T) => Promise<R>,
  prepare: () => Promise<T> | T = () => undefined as T,
  check: (result: R) => void = () => {},
): Promise<number[]> {
  check(await run(await prepare()));
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const prepared = await prepare();
    const t = performance.now();
    const result = await run(prepared);
    samples.push(performance.now() - t);
    check(result);
  }
  return samples;
}

/** The origin answered 200 with a generate response carrying one decodable-looking image. */
function checkAnswer(answer: { status: number; bytes: Buffer }): GenerateResponse {
  if (answer.status !== 200) throw new Error(`origin answered ${answer.status}: ${answer.bytes}`);
  const json = JSON.parse(answer.bytes.toString("utf8")) as GenerateResponse;
  if (!json.images?.[0]?.b64) throw new Error("origin answered 200 without an image");
  return json;
}

/** A line per phase and round on stderr, never inside a timed block: the run takes a minute or more. */
const progress = (line: string) => console.error(`bench:origin ${line}`);

type Stages = Record<string, number>;
const p50Of = (runs: readonly Stages[], key: string) =>
  round2(
    percentile(
      runs.map((r) => r[key] ?? 0),
      50,
    ),
  );

async function main() {
  await ensureTinyModel(MODEL_DIR);
  progress("starting the origin on port 8899…");
  const origin = await startOriginProcess({
    port: 8899,
    secret: SECRET,
    env: {
      DARKROOM_MODEL_DIR: MODEL_DIR,
      DARKROOM_LOG_LEVEL: "warn",
    },
  });
  console.log(`origin cold start to ready: ${origin.readyAfterMs.toFixed(0)} ms`);
  // The floor under every ratio here: the same signed call to a BENCHMARK-ONLY null origin (no
  // inference; a fixed 8×8 PNG), so HTTP on both ends, signature and JSON with almost no body.
  progress("starting the null origin on port 8900…");
  const nullOrigin = await startOriginProcess({
    port: 8900,
    secret: SECRET,
    env: {
      DARKROOM_MODEL_DIR: MODEL_DIR,
      DARKROOM_LOG_LEVEL: "warn",
      DARKROOM_BENCH_NULL_ORIGIN: "1",
    },
  });
  const results = [];
  let n = 0;
  // One set of bench-side sessions; they are idle (threads parked) whenever the origin is timed.
  progress("opening the pure onnxruntime sessions…");
  const sessions = await openSessions(MODEL_DIR, SESSION);
  for (const c of CASES) {
    const spec = TIER_SPECS[c.tier];
    const guided = spec.defaultGuidance > 1;
    const pureRun = await pureRequest(sessions, {
      width: c.size,
      height: c.size,
      steps: spec.defaultSteps,
      rows: guided ? 2 : 1,
    });
    const signed = () =>
      presign(
        "/internal/v1/generate",
        {
          request_id: `bench-${process.pid}-${n++}`,
          tenant_id: "bench",
          tier: c.tier,
          model: "default",
          prompt: "a red fox in the snow",
          n: 1,
          width: c.size,
          height: c.size,
          steps: spec.defaultSteps,
          guidance_scale: spec.defaultGuidance,
          seed: 7,
          scheduler: spec.defaultScheduler,
          output_format: "png",
          deadline_ms: spec.defaultDeadlineMs,
        },
        SECRET,
      );
    // Blocks of origin calls and pure runs take turns, so the machine's drift over minutes (large
    // on shared 2-core hosts) lands on both sides of the ratio alike.
    const e2e: number[] = [];
    const pure: number[] = [];
    const nullCall: number[] = [];
    // What each side reports about its stages: the origin's own timings, the pure run's per graph.
    const originStages: Stages[] = [];
    const pureStages: Stages[] = [];
    const block = Math.max(1, Math.ceil(c.iterations / ROUNDS));
    const label = `${c.tier} ${c.size}x${c.size}`;
    for (let round = 0; round < ROUNDS; round++) {
      progress(
        `${label}: round ${round + 1}/${ROUNDS} (${block} calls each: origin, pure, null origin)`,
      );
      await new Promise((r) => setTimeout(r, 100)); // let the bench's own onnxruntime threads park
      e2e.push(
        ...(await timeIt(
          block,
          (req: Awaited<ReturnType<typeof presign>>) => sendSignedBytes(origin.url, req),
          signed,
          (answer) => {
            originStages.push({ ...checkAnswer(answer).metadata.timings });
          },
        )),
      );
      pure.push(...(await timeIt(block, pureRun, undefined, (s) => pureStages.push({ ...s }))));
      nullCall.push(
        ...(await timeIt(
          block,
          (req: Awaited<ReturnType<typeof presign>>) => sendSignedBytes(nullOrigin.url, req),
          signed,
          checkAnswer,
        )),
      );
    }
    const pureMs = percentile(pure, 50);
    const e2eMs = percentile(e2e, 50);
    progress(
      `${label}: done, e2e p50 ${e2eMs.toFixed(1)} ms, pure p50 ${pureMs.toFixed(1)} ms (case ${CASES.indexOf(c) + 1}/${CASES.length})`,
    );
    results.push({
      tier: c.tier,
      size: `${c.size}x${c.size}`,
      steps: spec.defaultSteps,
      pure_ms: round2(pureMs),
      e2e_ms: round2(e2eMs),
      ratio: round2(e2eMs / pureMs),
      null_origin_ms: round2(percentile(nullCall, 50)),
      stages_p50_ms: {
        origin_denoise: p50Of(originStages, "denoise_ms"),
        pure_unet: p50Of(pureStages, "unet_ms"),
        origin_decode: p50Of(originStages, "decode_ms"),
        pure_vae: p50Of(pureStages, "vae_ms"),
        origin_text_encode: p50Of(originStages, "text_encode_ms"),
        pure_text: p50Of(pureStages, "text_ms"),
        origin_postprocess: p50Of(originStages, "postprocess_ms"),
        outside_origin_clock: round2(e2eMs - p50Of(originStages, "total_ms")),
      },
    });
  }
  await Promise.all(Object.values(sessions).map((session) => session.release()));
  await Promise.all([origin.stop(), nullOrigin.stop()]);
  printTable(results.map(({ stages_p50_ms: _, ...row }) => row));
  console.log("\nwhere the time goes, p50 ms (origin: its response's timings; pure: per graph):");
  printTable(
    results.map((r) => ({
      tier: r.tier,
      size: r.size,
      "denoise (origin) / UNet (pure)": `${r.stages_p50_ms.origin_denoise} / ${r.stages_p50_ms.pure_unet}`,
      "decode (origin) / VAE (pure)": `${r.stages_p50_ms.origin_decode} / ${r.stages_p50_ms.pure_vae}`,
      "text: origin / pure": `${r.stages_p50_ms.origin_text_encode} / ${r.stages_p50_ms.pure_text}`,
      "encode (origin)": r.stages_p50_ms.origin_postprocess,
      "outside the origin's clock": r.stages_p50_ms.outside_origin_clock,
    })),
  );
  console.log(
    "ratio = origin end-to-end p50 (HTTP incl. signature check, PNG-encoded, JSON; to the response's last byte) / pure onnxruntime p50 of the same graph calls, in alternating blocks of one run; request signing happens before the timer, parsing the answer after it. null_origin_ms = p50 of the same signed call to a benchmark-only null origin (no inference, an 8×8 PNG): the HTTP floor under e2e",
  );
  const out = {
    cold_start_ms: round2(origin.readyAfterMs),
    threads: THREADS_LABEL,
    cases: results,
  };
  await mkdir("bench/results", { recursive: true });
  await writeFile("bench/results/origin.json", `${JSON.stringify(out, null, 2)}\n`);
  console.log("wrote bench/results/origin.json");
  process.exit(0);
}

runBench("bench:origin", main);
