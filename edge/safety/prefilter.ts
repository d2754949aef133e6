// The prefilter: normalise once, run the ordered checks, fail closed, report one verdict.
import { categoryTermCheck } from "./category-term-check";
import { lexicalCheck } from "./lexical-check";
import { normalizePrompt } from "./normalize-prompt";
import { patternCheck } from "./pattern-check";
import { compileSafetyPolicy, tenantTermCheck } from "./tenant-policy";
import { BASE_POLICY_VERSION } from "./term-lists";
import type {
  NamedSafetyCheck,
  NormalizedPrompt,
  SafetyPolicy,
  SafetyResult,
  SafetyVerdict,
  TenantSafetyAdditions,
} from "./types";

/** The checks, in order. Normalisation runs before them and builds what they read. */
export const SAFETY_CHECKS: readonly NamedSafetyCheck[] = Object.freeze([
  { name: "lexical", run: lexicalCheck },
  { name: "category_terms", run: categoryTermCheck },
  { name: "patterns", run: patternCheck },
  { name: "tenant_terms", run: tenantTermCheck },
]);

function reject(policyVersion: string, check: string, verdict: SafetyVerdict): SafetyResult {
  return {
    decision: "reject",
    category: verdict.category,
    check,
    policyVersion,
    matched: verdict.matched,
  };
}

function failClosed(policyVersion: string, check: string): SafetyResult {
  return { decision: "reject", category: "internal_check_error", check, policyVersion };
}

/**
 * Runs `checks` in order. The first sexual_minors finding ends the run; any other finding is
 * kept while the remaining checks run, so that a later check can still name sexual_minors
 * (which must be audited as such); otherwise the first finding is the verdict. A check that
 * throws ends the run with a rejection: nothing is ever allowed unjudged.
 */
export function runChecks(
  prompt: string,
  policy: SafetyPolicy,
  checks: readonly NamedSafetyCheck[] = SAFETY_CHECKS,
): SafetyResult {
  let input: NormalizedPrompt;
  try {
    input = normalizePrompt(prompt);
  } catch {
    return failClosed(policy.version, "normalize");
  }
  let first: { check: string; verdict: SafetyVerdict } | null = null;
  for (const { name, run } of checks) {
    let verdict: SafetyVerdict | null;
    try {
      verdict = run(input, policy);
    } catch {
      return failClosed(policy.version, name);
    }
    if (verdict === null) continue;
    if (verdict.category === "sexual_minors") return reject(policy.version, name, verdict);
    first ??= { check: name, verdict };
  }
  if (first !== null) return reject(policy.version, first.check, first.verdict);
  return { decision: "allow", category: null, check: null, policyVersion: policy.version };
}

/** Judges a prompt (only the prompt: see index.ts) under the base policy plus the additions. */
export function runSafety(prompt: string, additions?: TenantSafetyAdditions | null): SafetyResult {
  let policy: SafetyPolicy;
  try {
    policy = compileSafetyPolicy(additions);
  } catch {
    return failClosed(`${BASE_POLICY_VERSION}+invalid`, "policy");
  }
  return runChecks(prompt, policy);
}
