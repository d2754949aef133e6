// `npm run generate -- --prompt "a red fox"`: the origin pipeline in-process, with a progress bar.
import { writeFile } from "node:fs/promises";
import { extname } from "node:path";
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import { describeZodError } from "../../protocol/errors";
import { GenerateRequestSchema } from "../../protocol/generate";
import { TIER_SPECS, TIERS, type Tier } from "../../protocol/tiers";
import { loadOriginConfig } from "../config";
import { encodeImage } from "../imaging/encode-image";
import { loadPipeline, sessionSettingsFrom } from "../load-pipeline";
import { buildReceipt } from "../server/build-receipt";

const USAGE = `usage: npm run generate -- --prompt "a red fox" [--seed 7] [--tier fast|quality]
  [--size 256x256] [--steps 2] [--guidance 0] [--scheduler euler] [--negative "..."]
  [--out fox.png] [--model-dir models/tiny-sd]`;

function options() {
  const { values } = parseArgs({
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
  if (values.help || !values.prompt) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  return values as typeof values & { prompt: string };
}

async function main() {
  const o = options();
  const tier = (TIERS as readonly string[]).includes(o.tier) ? (o.tier as Tier) : "fast";
  const spec = TIER_SPECS[tier];
  const [width, height] = o.size.split("x").map(Number);
  const format = extname(o.out).slice(1).replace("jpg", "jpeg") || "png";
  const parsed = GenerateRequestSchema.safeParse({
    request_id: `cli-${Date.now()}`,
    tenant_id: "cli",
    tier: o.tier,
    model: "default",
    prompt: o.prompt,
    negative_prompt: o.negative,
    n: 1,
    width,
    height,
    steps: o.steps ? Number(o.steps) : spec.defaultSteps,
    guidance_scale: o.guidance ? Number(o.guidance) : spec.defaultGuidance,
    seed: Number(o.seed),
    scheduler: o.scheduler ?? spec.defaultScheduler,
    output_format: format,
    deadline_ms: spec.defaultDeadlineMs,
  });
  if (!parsed.success) {
    const { message } = describeZodError(parsed.error);
    console.error(`darkroom: ${message}\n${USAGE}`);
    process.exit(2);
  }
  const req = parsed.data;
  const config = loadOriginConfig({
    ...process.env,
    DARKROOM_MODEL_DIR: o["model-dir"] ?? process.env.DARKROOM_MODEL_DIR,
  });
  const pipeline = await loadPipeline({
    modelDir: config.modelDir,
    modelId: config.modelId,
    modelManifest: config.modelManifest,
    ...sessionSettingsFrom(config),
  });
  const bar = new SingleBar({
    format: "denoising [{bar}] {value}/{total} steps",
    stream: process.stderr,
    hideCursor: true,
  });
  bar.start(req.steps, 0);
  const started = performance.now();
  const { images, timings } = await pipeline.generate(req, (step) => bar.update(step));
  bar.stop();
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
