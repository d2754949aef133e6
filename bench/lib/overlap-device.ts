// bench:overlap's device thread: the graph calls back to back, each image's pixels posted
// (transferred) to the main thread, which post-processes them meanwhile.
import { parentPort, workerData } from "node:worker_threads";
import { openFastTierGraphs, PIXELS_PER_IMAGE } from "./overlap-graphs";

const { modelDir, images, options } = workerData;
const port = parentPort!;
const graphs = await openFastTierGraphs(modelDir, options);
await graphs.step();
port.postMessage("ready");
await new Promise((resolve) => port.once("message", resolve));
for (let sent = 0; sent < images; ) {
  const pixels = await graphs.step();
  for (let k = 0; k < 2 && sent < images; k++, sent++) {
    const one = pixels.slice(k * PIXELS_PER_IMAGE, (k + 1) * PIXELS_PER_IMAGE);
    port.postMessage(one, [one.buffer]);
  }
}
