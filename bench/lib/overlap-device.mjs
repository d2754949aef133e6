// Worker-thread entry: Node loads a worker's modules without the parent's TypeScript loader, so
// this plain module registers tsx for the thread and then starts overlap-device.ts.
import { register } from "tsx/esm/api";

register();
await import("./overlap-device.ts");
