// Creates onnxruntime sessions with the configured execution providers, falling back to CPU.
import { availableParallelism } from "node:os";
import "./ort-telemetry";
import * as ort from "onnxruntime-node";
import { OptimizedModelCache } from "./optimized-model-cache";

export interface SessionSettings {
  providers: ReadonlyArray<"cuda" | "cpu">;
  /** 0: one per CPU this process may run on. */
  intraOpThreads: number;
  /** `run` unless set: see `sessionOptions`. */
  intraOpSpinning?: IntraOpSpinning | undefined;
  interOpThreads: number;
  cudaDevice: number;
  /** Root of the model cache; when set, optimized graphs are cached under `<dir>/optimized`. */
  modelCacheDir?: string | undefined;
  /** Off switch for that cache (on whenever modelCacheDir is set). */
  cacheOptimizedModels?: boolean | undefined;
}

export type IntraOpSpinning = "run" | "on" | "off";

export interface OpenedSession {
  session: ort.InferenceSession;
  /** The provider list the session was created with, first entry preferred. */
  executionProvider: string;
}

export const ONNXRUNTIME_VERSION: string = ort.env.versions.node ?? ort.env.versions.common;

function providerList(settings: SessionSettings): ort.InferenceSession.ExecutionProviderConfig[] {
  return settings.providers.map((p) =>
    p === "cuda" ? { name: "cuda", deviceId: settings.cudaDevice } : "cpu",
  );
}

const GRAPH_OPTIMIZATION_LEVEL = "all";

/**
 * The options every session of a pipeline opens with (bench:origin's pure runs use them too).
 * Threads are counted here rather than left to onnxruntime, whose default ran the tiny UNet on one
 * of this machine's two cores (20 ms a call, 13 ms on two). Each session owns its thread pool, and
 * by default a pool keeps spinning after its call returns, on the cores the next session's call
 * needs: a fast 256² image (text encoder, UNet ×2, VAE) took 54–72 ms that way. Spinning only
 * during a call (`run`) took 27–32 ms, not spinning at all 29–36, one thread 40–42 (same machine,
 * interleaved; the quality tier 432–471, 464–523 and 710–775 ms).
 */
export function sessionOptions(
  settings: SessionSettings,
  providers: ort.InferenceSession.ExecutionProviderConfig[] = providerList(settings),
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    graphOptimizationLevel: GRAPH_OPTIMIZATION_LEVEL,
    intraOpNumThreads:
      settings.intraOpThreads > 0 ? settings.intraOpThreads : availableParallelism(),
    interOpNumThreads: settings.interOpThreads,
    executionMode: "sequential",
    extra: { session: spinning(settings.intraOpSpinning ?? "run") },
  };
}

/**
 * Opens a session with the preferred providers; when CUDA cannot load (no GPU, or the CUDA
 * libraries were never fetched) it retries on CPU and says so, instead of failing start-up.
 */
export async function openSession(
  path: string,
  settings: SessionSettings,
  warn: (message: string) => void = console.warn,
): Promise<OpenedSession> {
  const preferred = providerList(settings);
  try {
    const session = await create(path, settings, preferred, settings.providers[0] ?? "cpu", warn);
    return { session, executionProvider: settings.providers[0] ?? "cpu" };
  } catch (error) {
    if (!settings.providers.includes("cuda")) throw error;
    warn(cudaFallbackWarning(path, error as Error));
    const session = await create(path, settings, ["cpu"], "cpu", warn);
    return { session, executionProvider: "cpu" };
  }
}

/**
 * What an operator reads when CUDA did not load. The CUDA provider comes from onnxruntime-node's
 * install script, which this repository's installs skip (allowScripts) and npm ≥ 11.16 skips under
 * `npm rebuild` too, so the hint runs the script itself, as README.md and the origin's Dockerfile do.
 */
export function cudaFallbackWarning(path: string, error: Error): string {
  return (
    `CUDA execution provider unavailable for ${path} (${error.message.split("\n")[0]}); ` +
    "falling back to CPU. On a GPU host fetch the CUDA provider with " +
    "`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js` " +
    "and restart."
  );
}

/** onnxruntime's session config keys for each mode (`force_spinning_stop`: stop when a run ends). */
function spinning(mode: IntraOpSpinning) {
  if (mode === "off") return { intra_op: { allow_spinning: "0" } };
  return { intra_op: { allow_spinning: "1" }, force_spinning_stop: mode === "run" ? "1" : "0" };
}

function create(
  path: string,
  settings: SessionSettings,
  providers: ort.InferenceSession.ExecutionProviderConfig[],
  provider: string,
  warn: (message: string) => void,
): Promise<ort.InferenceSession> {
  const base = sessionOptions(settings, providers);
  if (!settings.modelCacheDir || settings.cacheOptimizedModels === false) {
    return ort.InferenceSession.create(path, base);
  }
  const identity = {
    onnxruntimeVersion: ONNXRUNTIME_VERSION,
    provider: provider === "cuda" ? `cuda:${settings.cudaDevice}` : provider,
    level: GRAPH_OPTIMIZATION_LEVEL,
  };
  return new OptimizedModelCache(settings.modelCacheDir, warn).open(path, identity, (p, extra) =>
    ort.InferenceSession.create(p, { ...base, ...extra }),
  );
}

export type TensorMeta = { name: string; type: string; shape: ReadonlyArray<number | string> };

export function describeInputs(session: ort.InferenceSession): TensorMeta[] {
  return session.inputMetadata.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape }
      : { name: m.name, type: "non-tensor", shape: [] },
  );
}

export function describeOutputs(session: ort.InferenceSession): TensorMeta[] {
  return session.outputMetadata.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape }
      : { name: m.name, type: "non-tensor", shape: [] },
  );
}
