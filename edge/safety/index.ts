// Safety prefilter: judges a prompt before any quota reservation or origin call.
//
// Synchronous, cheap (tens of µs), no I/O, Workers-safe (no Node APIs, no hono). The caller loads
// the tenant's additions from D1, calls runSafety, turns "reject" into 400
// content_policy_violation, and writes decision, category and policyVersion to the audit.
// `matched` is a policy term or pattern label, never prompt text: for the audit, not the client.
//
// Policy decisions (base policy BASE_POLICY_VERSION):
// - Only `prompt` is judged. `negative_prompt` names what the image must avoid ("nsfw, gore"
//   is an ordinary negative prompt), so judging it would reject the careful callers. Known gap:
//   with guidance above 1, a negative prompt of clothing words ("clothes, dress") steers a person
//   towards nudity; closing it needs a rule on the pair (person in the prompt, clothing in the
//   negative), which would also refuse honest style choices ("a man, negative: dress").
// - Stages: Unicode normalisation, then lexical (obscenity), category terms, patterns, tenant
//   terms. sexual_minors always rejects and wins over any other category; otherwise the first
//   finding is reported. A throwing check, or malformed tenant additions, reject with
//   internal_check_error: the prefilter fails closed.
// - Rejected: sexual content and nudity, slurs and hate slogans, profanity (obscenity's list),
//   graphic gore, self-harm, weapon-making instructions, and tenant terms.
// - Allowed: fantasy and action violence (swords, battles, "assassin's creed style poster",
//   zombies, blood, guns as objects), "shooting stars", "a cocktail glass", "a bass guitar",
//   Scunthorpe and friends (terms match on word boundaries; obscenity's whitelist plus phrases
//   of our own, each under its dataset word: "cockpit", "cumin", "assorted", "Pissarro",
//   "blue tit", "Hooker's green", "Dick Tracy", "Wankel", "flame retardant", "Rio Negro", "chink
//   of light"; phrases such as "al gore", "naked eye", "suicide squad", "bath bomb",
//   "bottomless pit" are allow-listed), and "1488" as a year ("in 1488", "a 1488 woodcut") when
//   nothing else in the prompt is Nazi context.
// - Minors: "child", "teen", "toddler", "preschooler", "5th grader", an age under 18 ("12 year
//   old", "12yr", "aged 12", "girl (12)", "age of twelve"), "little girl" are minors; "girl"/"boy"
//   alone count only with explicit terms. Explicit terms with any minor, suggestive ones
//   ("lingerie", "seductive") with a clear minor, and compounds ("teenporn") are sexual_minors,
//   anywhere in the prompt: CLIP binds attributes across the whole prompt, not within a window.
// - Evasions: the characters the origin deletes before tokenising (format and control
//   characters, U+FFFD: one list in protocol/) are deleted here too, so "top\uFFFDless" is judged
//   as the "topless" the model reads; other invisible fillers are stripped; text under a
//   right-to-left override is judged in logical order, the order the model reads. NFKC folds
//   full-width and styled letters, look-alikes map to Latin, leetspeak folds only inside tokens
//   that hold letters and are not a number with a unit ("nud3" yes; "455", "35mm", "17yo" no),
//   spaced or split words ("n u d e", "nu de") are re-joined, in-word marks are read through
//   ("top-less", "sui.cide", "su!c!de"), stretched letters collapsed ("naaaked") and suffixes
//   cut ("nakedly", "eroticism", "self harming") where that yields a listed word.
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
