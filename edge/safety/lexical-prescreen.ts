// A fast and exact "no match" for obscenity: its own transform, then one combined regex.
//
// obscenity's RegExpMatcher transforms the input code point by code point through a chain of
// transformer objects, then tries its ~120 term regexes one at a time: about 55 µs for a 20-word
// prompt. Here the same transformer containers run from a precomputed ASCII table, and the
// same regexes run as one alternation, which matches exactly when one of them does. A miss
// proves there is no match; a hit (rare) pays for the full, whitelist-aware matcher.
import type { RegExpMatcher } from "obscenity";

type CodePoint = number;

/** obscenity's transformer containers, by shape: simple (a pure function) or stateful. */
interface SimpleContainer {
  transform: (char: CodePoint) => CodePoint | undefined;
}
interface StatefulContainer {
  factory: () => { transform(char: CodePoint): CodePoint | undefined; reset(): void };
}
type Container = SimpleContainer | StatefulContainer;

/** The RegExpMatcher internals read here (obscenity 0.4.6; not its public API). */
interface MatcherInternals {
  applyTransformers?: (input: string, transformers: unknown) => [number[], string];
  blacklistMatcherTransformers?: unknown;
  blacklistedTerms?: readonly { regExp?: unknown }[];
}

interface Step {
  apply: (char: CodePoint) => CodePoint | undefined;
  reset?: () => void;
}

function toStep(container: Container): Step {
  if ("transform" in container) return { apply: container.transform };
  const state = container.factory();
  return { apply: (char) => state.transform(char), reset: () => state.reset() };
}

// Arguments per String.fromCharCode call: longer input is decoded in slices.
const SLICE = 4096;

function decode(units: Uint16Array, length: number): string {
  let text = "";
  for (let at = 0; at < length; at += SLICE) {
    const slice = units.subarray(at, Math.min(length, at + SLICE));
    text += String.fromCharCode.apply(null, slice as unknown as number[]);
  }
  return text;
}

/** The transform for ASCII input, from a table of the leading simple transformers; null for
 *  input with any non-ASCII character (-2 below) or any output outside the BMP. */
export function asciiTransform(containers: readonly Container[]): (input: string) => string | null {
  let split = containers.findIndex((container) => !("transform" in container));
  if (split === -1) split = containers.length;
  const simple = containers.slice(0, split) as SimpleContainer[];
  const table = new Int32Array(128);
  for (let code = 0; code < 128; code++) {
    let char: CodePoint | undefined = code;
    for (const container of simple) {
      if (char !== undefined) char = container.transform(char);
    }
    table[code] = char ?? -1;
  }
  const rest = containers.slice(split).map(toStep);
  const resetAll = () => {
    for (const step of rest) step.reset?.();
  };
  // Reused between calls: the transform runs synchronously, so no two calls share it at once.
  let units = new Uint16Array(256);
  return (input) => {
    if (units.length < input.length) units = new Uint16Array(input.length * 2);
    let length = 0;
    for (let i = 0; i < input.length; i++) {
      const code = input.charCodeAt(i);
      let char: CodePoint | undefined = code < 128 ? (table[code] ?? -1) : -2;
      if (char === -1) continue;
      for (let s = 0; s < rest.length && char !== undefined && char >= 0; s++) {
        char = rest[s]?.apply(char);
      }
      if (char === undefined) continue;
      if (char < 0 || char > 0xffff) {
        resetAll();
        return null;
      }
      units[length++] = char;
    }
    resetAll();
    return decode(units, length);
  };
}

/** A function answering "might obscenity match?", or null where the internals differ (the
 *  caller then always runs the full matcher). */
export function buildPrescreen(
  matcher: RegExpMatcher,
  containers: readonly unknown[],
): ((input: string) => boolean) | null {
  const internals = matcher as unknown as MatcherInternals;
  const fullTransform = internals.applyTransformers;
  const terms = internals.blacklistedTerms;
  if (typeof fullTransform !== "function" || !Array.isArray(terms) || terms.length === 0) {
    return null;
  }
  const regexes = terms.map((term) => term.regExp);
  if (!regexes.every((re): re is RegExp => re instanceof RegExp)) return null;
  const flags = regexes[0]?.flags ?? "";
  if (regexes.some((re) => re.flags !== flags)) return null;
  const combined = new RegExp(
    regexes.map((re) => `(?:${re.source})`).join("|"),
    flags.replace(/[gy]/g, ""),
  );
  const ascii = asciiTransform(containers as readonly Container[]);
  return (input) => {
    const transformed =
      ascii(input) ?? fullTransform.call(matcher, input, internals.blacklistMatcherTransformers)[1];
    return combined.test(transformed);
  };
}
