// D1SafetyTermStore over the real D1: racing adds never pass the compiler's limit or the unique index.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import { MAX_TENANT_TERMS } from "../../safety/tenant-policy";
import { D1SafetyTermStore } from "./safety-term-store";

const store = () => new D1SafetyTermStore(openDatabase(env.DB));

describe("D1SafetyTermStore", () => {
  it("lets racing adds fill the last free place only once", async () => {
    const tenantId = "ten_terms_race";
    await env.DB.prepare(
      `with recursive n(i) as (select 1 union all select i + 1 from n where i < ?2)
       insert into safety_terms (tenant_id, category, term) select ?1, 'hate', 'seeded' || i from n`,
    )
      .bind(tenantId, MAX_TENANT_TERMS - 1)
      .run();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store().add(tenantId, { category: "tenant_custom", term: `racer${i}` }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === "full")).toHaveLength(7);
    expect(await store().list(tenantId)).toHaveLength(MAX_TENANT_TERMS);
  });

  it("answers a racing add of the same term as a duplicate, not a database error", async () => {
    const input = { category: "tenant_custom", term: "Heron" } as const;
    const results = await Promise.all(
      Array.from({ length: 4 }, () => store().add("ten_terms_dup", input)),
    );
    const [won] = results.filter((r) => r.ok);
    expect(won).toBeDefined();
    for (const r of results.filter((r) => !r.ok)) {
      expect(r).toMatchObject({ reason: "duplicate", existing: { term: "Heron" } });
    }
    expect(await store().list("ten_terms_dup")).toHaveLength(1);
  });
});
