// DARKROOM_LOG_LEVEL: which console methods each level keeps.
import { describe, expect, it } from "vitest";
import { loadOriginConfig } from "./config";
import { applyLogLevel } from "./log-level";

function consoleLike() {
  const printed: string[] = [];
  const method = (name: string) => () => void printed.push(name);
  return {
    printed,
    target: {
      debug: method("debug"),
      info: method("info"),
      log: method("log"),
      warn: method("warn"),
      error: method("error"),
    },
  };
}

describe("applyLogLevel", () => {
  it.each([
    ["debug", ["debug", "info", "log", "warn", "error"]],
    ["info", ["info", "log", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
    ["fatal", ["error"]],
    ["silent", []],
  ] as const)("%s prints %j", (level, kept) => {
    const { printed, target } = consoleLike();
    applyLogLevel(loadOriginConfig({ DARKROOM_LOG_LEVEL: level }).logLevel, target);
    for (const name of ["debug", "info", "log", "warn", "error"] as const) target[name]();
    expect(printed).toEqual(kept);
  });
});
