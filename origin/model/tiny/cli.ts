// `npm run model:tiny`: generates the tiny Optimum-layout model and prints what it wrote and its hashes.
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { INPUT_ID_TYPES, TIMESTEP_KINDS, type TinyVariant } from "./variant";
import {
  DEFAULT_TINY_MODEL_DIR,
  ensureTinyModel,
  tinyModelContentHash,
  tinyModelFileHashes,
} from "./write-tiny-model";

const USAGE = `usage: npm run model:tiny -- [--out DIR] [--input-ids int64|int32]
       [--timestep float-batch|int64-1|float-scalar] [--timestep-cond] [--force]
  --timestep-cond  LCM-style UNet with a timestep_cond (guidance embedding) input`;

function pick<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(", ")}\n${USAGE}`);
  }
  return value as T;
}

/** A mistake in how it was called: said with the usage, exit 2 (a failure to write exits 1). */
class UsageError extends Error {}

function parseFlags() {
  return parseArgs({
    options: {
      out: { type: "string", default: DEFAULT_TINY_MODEL_DIR },
      "input-ids": { type: "string" },
      timestep: { type: "string" },
      "timestep-cond": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
}

function parse() {
  try {
    return parseFlags();
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
}

async function main(): Promise<void> {
  const { values } = parse();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const variant: TinyVariant = {
    inputIds: pick(values["input-ids"], INPUT_ID_TYPES, "--input-ids") ?? "int64",
    timestep: pick(values.timestep, TIMESTEP_KINDS, "--timestep") ?? "float-batch",
    // Set only when asked: the default variant's bytes (model_index.json) must not change.
    ...(values["timestep-cond"] ? { timestepCond: true } : {}),
  };
  const index = join(values.out, "model_index.json");
  const existed = existsSync(index);
  if (existed && values.force) {
    // Only a folder this generator wrote is replaced: --force must never delete a real export.
    const written = await readFile(index, "utf8").then(
      (text) => (JSON.parse(text) as { _darkroom_tiny?: unknown })._darkroom_tiny !== undefined,
      () => false,
    );
    if (!written) {
      throw new UsageError(
        `${values.out} holds a model model:tiny did not write (no _darkroom_tiny in model_index.json); it was left alone. Pick another --out.`,
      );
    }
    await rm(values.out, { recursive: true, force: true });
  }
  const dir = await ensureTinyModel(values.out, variant);
  const reused = existed && !values.force;
  console.log(`${reused ? "kept existing" : "wrote"} tiny model in ${dir}`);
  if (!reused) {
    const cond = variant.timestepCond ? ", timestep_cond (LCM-style)" : "";
    console.log(`variant: input_ids ${variant.inputIds}, timestep ${variant.timestep}${cond}`);
  } else console.log("(existing model left as is; pass --force to regenerate)");
  for (const [path, hash] of await tinyModelFileHashes(dir)) console.log(`  ${hash}  ${path}`);
  console.log(`content sha256: ${await tinyModelContentHash(dir)}`);
}

main().catch((error: unknown) => {
  console.error(`model:tiny: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof UsageError ? 2 : 1);
});
