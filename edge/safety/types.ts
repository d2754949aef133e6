// Shapes shared by the safety prefilter's stages: the normalised prompt, the policy, the verdicts.

/** Blockable categories, most severe first: a finding earlier in this list wins over a later one. */
export const SAFETY_CATEGORIES = [
  "sexual_minors",
  "sexual",
  "hate",
  "violence_graphic",
  "self_harm",
  "weapons_instructions",
  "profanity",
  "tenant_custom",
] as const;

export type SafetyCategory = (typeof SAFETY_CATEGORIES)[number];

/** What a rejection can be filed under: a policy category, or a check that failed (closed). */
export type RejectCategory = SafetyCategory | "internal_check_error";

/** The prompt as the checks see it; built once per request by `normalizePrompt`. */
export interface NormalizedPrompt {
  /** NFKC with format, control and invisible characters stripped. */
  readonly text: string;
  /** `text` without combining marks and with look-alike letters mapped to Latin; case and
   *  punctuation kept. What the lexical matcher (obscenity) sees. */
  readonly plain: string;
  /** Matching-only view: lowercased, leetspeak folded, one space between letter/digit tokens. */
  readonly folded: string;
  /** `folded` split into tokens. */
  readonly words: readonly string[];
}

/** One extra blocked term a tenant stores in D1. */
export interface TenantTerm {
  readonly category: SafetyCategory;
  readonly term: string;
}

/** A tenant's additions to the base policy, as the caller loads them from D1. */
export interface TenantSafetyAdditions {
  /** The tenant's own revision label (e.g. an updated-at stamp); shown in the policy version. */
  readonly version: string;
  readonly tenantTerms: readonly TenantTerm[];
}

/** A finding: the category and the policy term or pattern label (never prompt text). */
export interface SafetyVerdict {
  readonly category: SafetyCategory;
  readonly matched: string;
}

/** Finds blocked terms, on word boundaries, in a folded view. */
export interface TermMatcher {
  find(folded: string): SafetyVerdict | null;
}

/** The compiled policy every check receives. */
export interface SafetyPolicy {
  /** Effective version: the base version, plus a label and hash when a tenant adds terms. */
  readonly version: string;
  readonly tenantTerms: TermMatcher | null;
}

/** Every check has this signature; null means "no finding". A check may throw: that rejects. */
export type SafetyCheck = (input: NormalizedPrompt, policy: SafetyPolicy) => SafetyVerdict | null;

export interface NamedSafetyCheck {
  readonly name: string;
  readonly run: SafetyCheck;
}

/** What the edge acts on and writes to the audit. `matched` names the rule, never the prompt. */
export interface SafetyResult {
  readonly decision: "allow" | "reject";
  readonly category: RejectCategory | null;
  readonly check: string | null;
  readonly policyVersion: string;
  readonly matched?: string;
}
