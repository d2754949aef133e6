// `npm run generate -- --prompt "a red fox"`: the origin pipeline in-process, with a progress bar.
import { constants } from "node:fs";
import { access, writeFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import { describeZodError } from "../../protocol/errors";
import { GenerateRequestSchema } from "../../protocol/generate";
import { parseSize, TIER_SPECS, TIERS, type Tier } from "../../protocol/tiers";
import { loadOriginConfig } from "../config";
import { encodeImage } from "../imaging/encode-image";
import { loadPipeline, sessionSettingsFrom } from "../load-pipeline";
import { buildReceipt } from "../server/build-receipt";

const USAGE = `usage: npm run generate -- --prompt "a red fox" [--seed 7] [--tier fast|quality|batch]
  [--size 256x256] [--steps 2] [--guidance 0] [--scheduler euler] [--negative "..."]
  [--out fox.png|.webp|.jpg] [--model-dir models/tiny-sd]`;

/** Which flag sets each request field, so an error names what the user typed. */
const FLAG_OF: Record<string, string> = {
  prompt: "--prompt",
  negative_prompt: "--negative",
  seed: "--seed",
  tier: "--tier",
  width: "--size",
  height: "--size",
  steps: "--steps",
  guidance_scale: "--guidance",
  scheduler: "--scheduler",
  output_format: "--out",
};

/** A usage mistake: said with the usage, exit 2 (a failed generation exits 1). */
function usageError(message: string): never {
  console.error(`darkroom: ${message}\n${USAGE}`);
  process.exit(2);
}

function options() {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    usageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (!values.prompt) usageError("--prompt is required");
  return values as typeof values & { prompt: string };
}

function parse() {
  return parseArgs({
    options: {
      prompt: { type: "string" },
      negative: { type: "string", default: "" },
      seed: { type: "string", default: "0" },
      tier: { type: "string", default: "fast" },
      size: { type: "string", default: "256x256" },
      steps: { type: "string" },
      guidance: { type: "string" },
      scheduler: { type: "string" },
      out: { type: "string", default: "darkroom.png" },
      "model-dir": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
}

function wholeNumber(raw: string, flag: string): number {
  if (!/^\d+$/.test(raw)) usageError(`${flag} must be a whole number, got '${raw}'`);
  return Number(raw);
}

function decimal(raw: string, flag: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw)) usageError(`${flag} must be a number, got '${raw}'`);
  return Number(raw);
}

const FORMATS: Record<string, string> = { png: "png", webp: "webp", jpg: "jpeg", jpeg: "jpeg" };

/** The request the flags describe, validated as the origin validates a signed one. */
function requestFrom(o: ReturnType<typeof options>) {
  if (!(TIERS as readonly string[]).includes(o.tier)) {
    usageError(`--tier must be one of ${TIERS.join(", ")}, got '${o.tier}'`);
  }
  const spec = TIER_SPECS[o.tier as Tier];
  const size = parseSize(o.size);
  if (!size) usageError(`--size must be WxH, one of ${spec.sizes.join(", ")} for --tier ${o.tier}`);
  const format = FORMATS[extname(o.out).slice(1).toLowerCase()];
  if (!format) usageError(`--out must end in .png, .webp or .jpg, got '${o.out}'`);
  const parsed = GenerateRequestSchema.safeParse({
    request_id: `cli-${Date.now()}`,
    tenant_id: "cli",
    tier: o.tier,
    model: "default",
    prompt: o.prompt,
    negative_prompt: o.negative,
    n: 1,
    ...size,
    steps: o.steps === undefined ? spec.defaultSteps : wholeNumber(o.steps, "--steps"),
    guidance_scale:
      o.guidance === undefined ? spec.defaultGuidance : decimal(o.guidance, "--guidance"),
    seed: wholeNumber(o.seed, "--seed"),
    scheduler: o.scheduler ?? spec.defaultScheduler,
    output_format: format,
    deadline_ms: spec.defaultDeadlineMs,
  });
  if (!parsed.success) {
    const { message, param } = describeZodError(parsed.error);
    const flag = param ? FLAG_OF[param.split(".")[0] ?? ""] : undefined;
    usageError(flag ? `${flag}: ${message.replace(/^Invalid '[^']*': /, "")}` : message);
  }
  return parsed.data;
}

async function main() {
  const o = options();
  const req = requestFrom(o);
  // Checked before the model loads and the image is computed, not after.
  const folder = dirname(resolve(o.out));
  await access(folder, constants.W_OK).catch(() =>
    usageError(
      `--out: folder ${folder} does not exist or is not writable; create it or choose another path`,
    ),
  );
  // The server's own settings (listen address, signing secret) do not concern the CLI.
  const { DARKROOM_HOST: _h, DARKROOM_PORT: _p, ORIGIN_SHARED_SECRET: _s, ...env } = process.env;
  const config = loadOriginConfig({
    ...env,
    DARKROOM_MODEL_DIR: o["model-dir"] ?? env.DARKROOM_MODEL_DIR,
  });
  console.error(`darkroom: loading model ${config.modelManifest ?? config.modelDir}…`);
  const pipeline = await loadPipeline({
    modelDir: config.modelDir,
    modelId: config.modelId,
    modelManifest: config.modelManifest,
    ...sessionSettingsFrom(config),
  });
  // Drawn on a terminal; elsewhere (CI, a pipe) a line every 2 s, so a long run still shows progress.
  const bar = new SingleBar({
    format: "denoising [{bar}] {value}/{total} steps",
    stream: process.stderr,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 2_000,
  });
  // Ctrl-C mid-run: give the terminal its cursor back before leaving.
  const interrupted = () => {
    bar.stop();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  bar.start(req.steps, 0);
  const started = performance.now();
  let generated: Awaited<ReturnType<typeof pipeline.generate>>;
  try {
    generated = await pipeline.generate(req, (step) => bar.update(step));
  } finally {
    bar.stop();
    process.off("SIGINT", interrupted);
  }
  const { images, timings } = generated;
  const image = images[0]!;
  const inference = performance.now() - started;
  const receipt = buildReceipt(req, pipeline.model, "cli", image.seed, {
    queue_ms: 0,
    inference_ms: inference,
    postprocess_ms: 0,
  });
  const encoded = await encodeImage(
    image.pixels,
    req.width,
    req.height,
    req.output_format,
    receipt,
  );
  await writeFile(o.out, encoded.bytes);
  console.log(
    `wrote ${o.out} (${req.width}x${req.height}, ${req.scheduler}, ${req.steps} steps, seed ${image.seed}) ` +
      `in ${inference.toFixed(0)} ms [text ${timings.text_encode_ms.toFixed(1)} / denoise ${timings.denoise_ms.toFixed(1)} / decode ${timings.decode_ms.toFixed(1)}]\n` +
      `model ${pipeline.model.id} sha256 ${pipeline.model.sha256.slice(0, 16)}… on ${pipeline.model.executionProvider}, onnxruntime ${pipeline.model.onnxruntimeVersion}`,
  );
  await pipeline.runtime.dispose();
}

main().catch((error: Error) => {
  console.error(`darkroom: ${error.message}`);
  process.exit(1);
});
