// Types the test runtime's `env`: the Worker's bindings plus the migrations the config injects.
import type { D1Migration } from "cloudflare:test";
import type { Bindings } from "../env";

declare global {
  namespace Cloudflare {
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
