import { describe, expect, it } from "vitest";
import { runSafety } from "./prefilter";
import { compileSafetyPolicy, tenantSafetyAdditionsSchema } from "./tenant-policy";
import { BASE_POLICY_VERSION } from "./term-lists";
import type { TenantSafetyAdditions } from "./types";

const acme: TenantSafetyAdditions = {
  version: "2026-12-01T10:00:00Z",
  tenantTerms: [
    { category: "tenant_custom", term: "Acme Corp" },
    { category: "violence_graphic", term: "bloodbath" },
  ],
};

describe("tenant additions block their terms", () => {
  it("rejects a tenant term under the tenant's category, with the tenant_terms check", () => {
    const result = runSafety("a billboard for acme corp at night", acme);
    expect(result).toMatchObject({
      decision: "reject",
      category: "tenant_custom",
      check: "tenant_terms",
      matched: "acme corp",
    });
    expect(runSafety("a bloodbath", acme).category).toBe("violence_graphic");
  });

  it("only for that tenant: the base policy allows the same prompts", () => {
    expect(runSafety("a billboard for acme corp at night").decision).toBe("allow");
    expect(runSafety("a bloodbath").decision).toBe("allow");
  });

  it("matches tenant terms through the same normalisation as base terms", () => {
    expect(runSafety("ACME-CORP logo", acme).category).toBe("tenant_custom");
    expect(runSafety("Ａｃｍｅ\u200B Corp logo", acme).category).toBe("tenant_custom");
  });

  it("matches on word boundaries, not inside other words", () => {
    const ace = {
      version: "1",
      tenantTerms: [{ category: "tenant_custom", term: "ace" }],
    } as const;
    expect(runSafety("an ace of spades", ace).decision).toBe("reject");
    expect(runSafety("a place in space", ace).decision).toBe("allow");
  });

  it("matches terms of unspaced scripts anywhere in the prompt", () => {
    const fox = {
      version: "1",
      tenantTerms: [{ category: "tenant_custom", term: "狐狸" }],
    } as const;
    expect(runSafety("一只在雪地里的红狐狸", fox).category).toBe("tenant_custom");
  });
});

describe("the effective policy version", () => {
  it("is the base version plus the tenant label and a hash of the terms", () => {
    const { version } = compileSafetyPolicy(acme);
    expect(version).toMatch(/^2026-11-27\.1\+2026-12-01T10-00-00Z\.[0-9a-f]{8}$/);
    expect(runSafety("a red fox", acme)).toMatchObject({
      decision: "allow",
      policyVersion: version,
    });
  });

  it("is the base version when a tenant adds nothing", () => {
    expect(compileSafetyPolicy({ version: "v9", tenantTerms: [] }).version).toBe(
      BASE_POLICY_VERSION,
    );
    expect(compileSafetyPolicy(undefined).version).toBe(BASE_POLICY_VERSION);
  });

  it("changes with the terms and not with their order or spelling", () => {
    const terms = acme.tenantTerms;
    const reordered = { ...acme, tenantTerms: [...terms].reverse() };
    const respelled = {
      ...acme,
      tenantTerms: [{ category: "tenant_custom", term: "ACME  corp" }, terms[1]!],
    } as TenantSafetyAdditions;
    const changed = { ...acme, tenantTerms: [terms[0]!] };
    const base = compileSafetyPolicy(acme).version;
    expect(compileSafetyPolicy(reordered).version).toBe(base);
    expect(compileSafetyPolicy(respelled).version).toBe(base);
    expect(compileSafetyPolicy(changed).version).not.toBe(base);
  });

  it("fits the receipt's 64-character field whatever the label", () => {
    const long = { ...acme, version: "x".repeat(64) };
    expect(compileSafetyPolicy(long).version.length).toBeLessThanOrEqual(64);
  });
});

describe("tenantSafetyAdditionsSchema", () => {
  it("accepts the stored shape", () => {
    expect(tenantSafetyAdditionsSchema.safeParse(acme).success).toBe(true);
  });

  it.each([
    ["an unknown category", { version: "1", tenantTerms: [{ category: "bogus", term: "x" }] }],
    ["an empty term", { version: "1", tenantTerms: [{ category: "sexual", term: "" }] }],
    ["a term with no letters", { version: "1", tenantTerms: [{ category: "sexual", term: "!!" }] }],
    ["a missing version", { tenantTerms: [] }],
  ])("rejects %s", (_name, additions) => {
    expect(tenantSafetyAdditionsSchema.safeParse(additions).success).toBe(false);
    expect(runSafety("a red fox", additions as never).category).toBe("internal_check_error");
  });
});
