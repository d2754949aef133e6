// Per-tenant additions: their validation, the effective policy version, and the tenant term check.
import { z } from "zod";
import { foldTerm } from "./normalize-prompt";
import { BASE_POLICY_VERSION } from "./term-lists";
import { groupFoldedTerms, matcherFromGroups } from "./term-matcher";
import {
  SAFETY_CATEGORIES,
  type SafetyCategory,
  type SafetyCheck,
  type SafetyPolicy,
  type TenantSafetyAdditions,
} from "./types";

export const MAX_TENANT_TERMS = 500;

/** The shape stored in D1; the admin route validates with it, so a bad term never lands. */
export const tenantSafetyAdditionsSchema = z.object({
  version: z.string().min(1).max(64),
  tenantTerms: z
    .array(
      z.object({
        category: z.enum(SAFETY_CATEGORIES),
        term: z
          .string()
          .min(1)
          .max(100)
          .refine((term) => foldTerm(term) !== "", "term has no letters or digits"),
      }),
    )
    .max(MAX_TENANT_TERMS),
});

export const BASE_POLICY: SafetyPolicy = Object.freeze({
  version: BASE_POLICY_VERSION,
  tenantTerms: null,
});

/** 32-bit FNV-1a, hex: a short, stable name for a term set (synchronous, unlike crypto.subtle). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** `<base>+<tenant label>.<hash of the folded, sorted terms>`, within the receipt's 64
 *  characters: the label is cut to 32. */
function effectiveVersion(label: string, grouped: Map<SafetyCategory, Set<string>>): string {
  const canonical = [...grouped]
    .flatMap(([category, terms]) => [...terms].map((term) => `${category}:${term}`))
    .sort()
    .join("\n");
  const safeLabel = label.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 32);
  return `${BASE_POLICY_VERSION}+${safeLabel}.${fnv1a(canonical)}`;
}

function buildPolicy(raw: TenantSafetyAdditions): SafetyPolicy {
  const additions = tenantSafetyAdditionsSchema.parse(raw);
  if (additions.tenantTerms.length === 0) return BASE_POLICY;
  const grouped = groupFoldedTerms(additions.tenantTerms);
  return Object.freeze({
    version: effectiveVersion(additions.version, grouped),
    tenantTerms: matcherFromGroups(grouped),
  });
}

// Callers usually keep one additions object per tenant (identity cache); a caller that re-reads
// D1 per request hits the content cache instead of recompiling.
const byObject = new WeakMap<TenantSafetyAdditions, SafetyPolicy>();
const byContent = new Map<string, SafetyPolicy>();
const CONTENT_CACHE_SIZE = 256;

function contentKey(additions: TenantSafetyAdditions): string {
  let key = additions.version;
  for (const { category, term } of additions.tenantTerms) key += `\u0000${category}\u0001${term}`;
  return key;
}

/** The policy the checks run under. Throws on malformed additions: the caller fails closed. */
export function compileSafetyPolicy(additions?: TenantSafetyAdditions | null): SafetyPolicy {
  if (additions === undefined || additions === null) return BASE_POLICY;
  const known = byObject.get(additions);
  if (known !== undefined) return known;
  const key = contentKey(additions);
  let policy = byContent.get(key);
  if (policy === undefined) {
    policy = buildPolicy(additions);
    if (byContent.size >= CONTENT_CACHE_SIZE) {
      const oldest = byContent.keys().next().value;
      if (oldest !== undefined) byContent.delete(oldest);
    }
    byContent.set(key, policy);
  }
  byObject.set(additions, policy);
  return policy;
}

/** (5) The tenant's own blocked terms, on word boundaries in the folded view. */
export const tenantTermCheck: SafetyCheck = (input, policy) =>
  policy.tenantTerms === null ? null : policy.tenantTerms.find(input.folded);
