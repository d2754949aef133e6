// Creates onnxruntime sessions with the configured execution providers, falling back to CPU.
import * as ort from "onnxruntime-node";

export interface SessionSettings {
  providers: ReadonlyArray<"cuda" | "cpu">;
  intraOpThreads: number;
  interOpThreads: number;
  cudaDevice: number;
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

function options(
  settings: SessionSettings,
  providers: ort.InferenceSession.ExecutionProviderConfig[],
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    graphOptimizationLevel: "all",
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
    const session = await ort.InferenceSession.create(path, options(settings, preferred));
    return { session, executionProvider: settings.providers[0] ?? "cpu" };
  } catch (error) {
    if (!settings.providers.includes("cuda")) throw error;
    warn(
      `CUDA execution provider unavailable for ${path} (${(error as Error).message.split("\n")[0]}); ` +
        "falling back to CPU. On a GPU host run `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`.",
    );
    const session = await ort.InferenceSession.create(path, options(settings, ["cpu"]));
    return { session, executionProvider: "cpu" };
  }
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
