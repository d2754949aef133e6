// Safety prefilter: judges a prompt before any quota reservation or origin call.
//
// Synchronous, cheap (tens of µs), no I/O, Workers-safe (no Node APIs, no hono). The caller loads
// the tenant's additions from D1, calls runSafety, turns "reject" into 400
// content_policy_violation, and writes decision, category and policyVersion to the audit.
// `matched` is a policy term or pattern label, never prompt text: for the audit, not the client.
//
// Policy decisions (base policy BASE_POLICY_VERSION):
// - Only `prompt` is judged. `negative_prompt` names what the image must avoid ("nsfw, gore"
//   is an ordinary negative prompt), so judging it would reject the careful callers.
// - Stages: Unicode normalisation, then lexical (obscenity), category terms, patterns, tenant
//   terms. sexual_minors always rejects and wins over any other category; otherwise the first
//   finding is reported. A throwing check, or malformed tenant additions, reject with
//   internal_check_error: the prefilter fails closed.
// - Rejected: sexual content and nudity, slurs and hate slogans, profanity (obscenity's list),
//   graphic gore, self-harm, weapon-making instructions, and tenant terms.
// - Allowed: fantasy and action violence (swords, battles, "assassin's creed style poster",
//   zombies, blood, guns as objects), "shooting stars", "a cocktail glass", "a bass guitar",
//   Scunthorpe and friends (terms match on word boundaries; obscenity's whitelist plus a few
//   additions such as "cockpit", "rapeseed", "shiitake"; phrases such as "al gore", "naked eye",
//   "suicide squad", "bath bomb" are allow-listed).
// - Minors: "child", "teen", "toddler", an age under 18 ("12 year old"), "little girl" are
//   minors; "girl"/"boy" alone count only next to explicit terms. Explicit terms near any minor,
//   suggestive ones ("lingerie", "seductive") near a clear minor, and compounds
//   ("teenporn") are sexual_minors.
// - Evasions: invisible and bidi characters are stripped (controls that separate words become a
//   space; text under a right-to-left override is judged in logical order, the order the model
//   reads), NFKC folds full-width and styled letters, look-alikes map to Latin, leetspeak folds
//   only inside tokens that hold letters and are not a number with a unit ("nud3" yes; "455",
//   "35mm", "17yo" no), spaced or split words ("n u d e", "nu de") are re-joined and judged.
export { type SafetyTimings, type StageTiming, timeChecks } from "./check-timing";
export { normalizePrompt } from "./normalize-prompt";
export { runChecks, runSafety, SAFETY_CHECKS } from "./prefilter";
export { compileSafetyPolicy, tenantSafetyAdditionsSchema } from "./tenant-policy";
export { BASE_POLICY_VERSION } from "./term-lists";
export type {
  NamedSafetyCheck,
  NormalizedPrompt,
  RejectCategory,
  SafetyCategory,
  SafetyCheck,
  SafetyPolicy,
  SafetyResult,
  SafetyVerdict,
  TenantSafetyAdditions,
  TenantTerm,
} from "./types";
export { SAFETY_CATEGORIES } from "./types";
