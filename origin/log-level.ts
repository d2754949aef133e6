// DARKROOM_LOG_LEVEL for an origin that logs through `console`: methods below the level go quiet.
import type { OriginConfig } from "./config";

type Level = OriginConfig["logLevel"];
type Method = "debug" | "info" | "log" | "warn" | "error";

/** The least severe level at which each console method still prints. */
const METHOD_LEVEL: Record<Method, number> = { debug: 0, info: 1, log: 1, warn: 2, error: 3 };
/** What each setting lets through: `fatal` keeps only errors (console has no fatal of its own). */
const THRESHOLD: Record<Level, number> = {
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
  fatal: 3,
  silent: 4,
};

/** Silences the console methods below `level`, in this thread. Returns the methods it silenced. */
export function applyLogLevel(level: Level, target: Pick<Console, Method> = console): Method[] {
  const silenced = (Object.keys(METHOD_LEVEL) as Method[]).filter(
    (method) => METHOD_LEVEL[method] < THRESHOLD[level],
  );
  for (const method of silenced) target[method] = () => {};
  return silenced;
}
