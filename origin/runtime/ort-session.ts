// Creates onnxruntime sessions with the configured execution providers, falling back to CPU.
import * as ort from "onnxruntime-node";
import { OptimizedModelCache } from "./optimized-model-cache";

export interface SessionSettings {
  providers: ReadonlyArray<"cuda" | "cpu">;
  intraOpThreads: number;
  interOpThreads: number;
  cudaDevice: number;
  /** Root of the model cache; when set, optimized graphs are cached under `<dir>/optimized`. */
  modelCacheDir?: string | undefined;
  /** Off switch for that cache (on whenever modelCacheDir is set). */
  cacheOptimizedModels?: boolean | undefined;
}

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

function options(
  settings: SessionSettings,
  providers: ort.InferenceSession.ExecutionProviderConfig[],
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    graphOptimizationLevel: GRAPH_OPTIMIZATION_LEVEL,
    intraOpNumThreads: settings.intraOpThreads,
    interOpNumThreads: settings.interOpThreads,
    executionMode: "sequential",
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
    warn(
      `CUDA execution provider unavailable for ${path} (${(error as Error).message.split("\n")[0]}); ` +
        "falling back to CPU. On a GPU host run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`.",
    );
    const session = await create(path, settings, ["cpu"], "cpu", warn);
    return { session, executionProvider: "cpu" };
  }
}

function create(
  path: string,
  settings: SessionSettings,
  providers: ort.InferenceSession.ExecutionProviderConfig[],
  provider: string,
  warn: (message: string) => void,
): Promise<ort.InferenceSession> {
  const base = options(settings, providers);
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
