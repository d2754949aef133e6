// The worker-thread side of WorkerDiffusionRuntime: owns the onnxruntime sessions, answers one call at a time.
import { parentPort, workerData } from "node:worker_threads";
import type { DiffusionRuntime } from "../engine/diffusion-runtime";
import { loadOnnxRuntime, type OnnxRuntimeOptions } from "./onnx-diffusion-runtime";
import type { RuntimeCall, RuntimeReply } from "./worker-protocol";

const port = parentPort;
if (!port) throw new Error("onnx-worker.ts runs only as a worker thread (see worker-runtime.ts)");
const { modelDir, options } = workerData as { modelDir: string; options: OnnxRuntimeOptions };

/**
 * Results are copied, never transferred: onnxruntime-node's output buffers are backed by memory
 * V8 cannot hand to another thread, and such a transfer is lost silently ('messageerror' on the
 * receiving side). Copying costs ~0.1 ms for a 512² image.
 */
function send(reply: RuntimeReply) {
  port!.postMessage(reply);
}

async function answer(runtime: DiffusionRuntime, call: RuntimeCall): Promise<Float32Array[]> {
  switch (call.method) {
    case "encodeText":
      return runtime.encodeText(call.tokenIds);
    case "unet":
      return runtime.unet(call.rows, call.h, call.w);
    case "decode":
      return runtime.decode(call.latents, call.h, call.w);
    case "dispose":
      await runtime.dispose();
      return [];
  }
}

try {
  const runtime = await loadOnnxRuntime(modelDir, options);
  // Calls arrive in order and run in order: onnxruntime sessions are not re-entrant here anyway.
  let queue: Promise<void> = Promise.resolve();
  port.on("message", (call: RuntimeCall) => {
    queue = queue.then(async () => {
      try {
        const value = await answer(runtime, call);
        send({ kind: "result", id: call.id, value });
        // postMessage has copied the decoded images, so their pooled buffers are free again.
        if (call.method === "decode") runtime.releasePixels?.(value);
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        send({ kind: "error", id: call.id, name: e.name, message: e.message });
      }
    });
  });
  send({ kind: "ready", model: runtime.model });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  send({ kind: "failed", name: e.name, message: e.message });
}
