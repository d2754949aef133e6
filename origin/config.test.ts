// The origin's signing secret: a development default on loopback only, never beyond it.
import { describe, expect, it } from "vitest";
import { DEV_ORIGIN_SECRET, loadOriginConfig } from "./config";

const STRONG = "k3Jq9x0vYt6pZr2mWc8sLb4nHd7gFa1e";

describe("ORIGIN_SHARED_SECRET", () => {
  it("defaults to the development secret on a loopback address", () => {
    for (const host of ["127.0.0.1", "localhost", "::1", "127.0.0.2"]) {
      expect(loadOriginConfig({ DARKROOM_HOST: host }).sharedSecrets).toEqual([DEV_ORIGIN_SECRET]);
    }
  });

  it("takes a comma-separated list (two during rotation)", () => {
    const env = { DARKROOM_HOST: "0.0.0.0", ORIGIN_SHARED_SECRET: `${STRONG}, ${STRONG}x` };
    expect(loadOriginConfig(env).sharedSecrets).toEqual([STRONG, `${STRONG}x`]);
  });

  it.each([
    ["unset", {}, /is not set/],
    ["empty", { ORIGIN_SHARED_SECRET: " , " }, /is not set/],
    ["the development secret", { ORIGIN_SHARED_SECRET: DEV_ORIGIN_SECRET }, /public development/],
    ["short", { ORIGIN_SHARED_SECRET: `${STRONG},short` }, /shorter than 32/],
  ])("refuses to listen beyond loopback with a secret that is %s", (_label, env, why) => {
    for (const host of ["0.0.0.0", "10.0.0.7", "::"]) {
      expect(() => loadOriginConfig({ ...env, DARKROOM_HOST: host })).toThrow(why);
      expect(() => loadOriginConfig({ ...env, DARKROOM_HOST: host })).toThrow(
        /ORIGIN_SHARED_SECRET .* Set it to the edge's ORIGIN_SHARED_SECRET/,
      );
    }
  });
});

describe("empty variables", () => {
  it("reads VAR= as unset: the default, never an empty string or 0", () => {
    const config = loadOriginConfig({
      DARKROOM_PORT: "",
      DARKROOM_HOST: " ",
      DARKROOM_MODEL_DIR: "",
      DARKROOM_MODEL_ID: "",
      DARKROOM_UNET_INSTANCES: "",
      DARKROOM_HEAP_GROWING_PERCENT: "",
    });
    expect(config).toMatchObject({
      port: 8801,
      host: "127.0.0.1",
      modelDir: "models/tiny-sd",
      modelId: undefined,
      unetInstances: "auto",
      heapGrowingPercent: 400,
    });
  });
});

describe("DARKROOM_MODEL_ID", () => {
  it("accepts the ids the edge's MODELS accepts and refuses others, naming the variable", () => {
    expect(loadOriginConfig({ DARKROOM_MODEL_ID: "sd-turbo_v1.0" }).modelId).toBe("sd-turbo_v1.0");
    for (const id of ["stabilityai/sd-turbo", "-x", "a b"]) {
      expect(() => loadOriginConfig({ DARKROOM_MODEL_ID: id })).toThrow(/DARKROOM_MODEL_ID/);
    }
  });
});

describe("DARKROOM_GRAPH_WATCHDOG_MS", () => {
  it("defaults to a 60 s floor, takes 0 (off), and refuses what is not a whole ms count", () => {
    expect(loadOriginConfig({}).graphWatchdogMs).toBe(60_000);
    expect(loadOriginConfig({ DARKROOM_GRAPH_WATCHDOG_MS: "120000" }).graphWatchdogMs).toBe(
      120_000,
    );
    expect(loadOriginConfig({ DARKROOM_GRAPH_WATCHDOG_MS: "0" }).graphWatchdogMs).toBe(0);
    for (const value of ["-1", "1.5", "soon"]) {
      expect(() => loadOriginConfig({ DARKROOM_GRAPH_WATCHDOG_MS: value })).toThrow(
        /DARKROOM_GRAPH_WATCHDOG_MS/,
      );
    }
  });
});
