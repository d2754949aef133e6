// Idempotency-Key: replay without a second charge or origin call, conflicts, in-flight repeats, failures not kept.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectConformant } from "../test/conformance";
import { answerError, hold, installFakeOrigin, succeed } from "../test/fake-origin";
import { installStreamingOrigin } from "../test/fake-origin-stream";
import { generate, tenantWithKey, usageOf } from "../test/generation";
import type { ErrorEnvelope } from "../test/harness";
import { createJob, readEvents } from "../test/jobs";
import type { ImagesResponse } from "./v1-images-generations-schema";

afterEach(() => vi.restoreAllMocks());

const withKey = (key: string) => ({ headers: { "idempotency-key": key } });

describe("Idempotency-Key", () => {
  it("replays the stored response: one origin call, one charge", async () => {
    const origin = installFakeOrigin();
    const { key } = await tenantWithKey();
    const body = { prompt: "a lighthouse", n: 2 };
    const first = await generate(key, body, withKey("idem-1"));
    const second = await generate(key, { n: 2, prompt: "a lighthouse" }, withKey("idem-1"));
    expect([first.status, second.status]).toEqual([200, 200]);
    const [a, b] = [
      (await first.json()) as ImagesResponse,
      (await second.json()) as ImagesResponse,
    ];
    expectConformant("ImagesResponse", b);
    expect(b).toEqual(a);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.headers.get("x-darkroom-region")).toBe("us");
    expect(second.headers.get("x-darkroom-tier")).toBe("quality");
    expect(second.headers.get("x-request-id")).not.toBe(first.headers.get("x-request-id"));
    expect(origin.calls).toHaveLength(1);
    expect(await usageOf(key)).toMatchObject({ images_used: 2, images_reserved: 0 });
  });

  it.each([
    [false, undefined],
    [true, "a red fox"],
  ])(
    "keeps the cleaned prompt in the stored copy only when the tenant stores prompts (%s)",
    async (storePrompts, replayedPrompt) => {
      installFakeOrigin();
      const { key, tenantId } = await tenantWithKey({ store_prompts: storePrompts });
      const body = { prompt: "a red\u200B fox" };
      const first = (await (await generate(key, body, withKey("idem-p"))).json()) as ImagesResponse;
      expect(first.data[0]?.revised_prompt).toBe("a red fox");
      const replay = await generate(key, body, withKey("idem-p"));
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      const again = (await replay.json()) as ImagesResponse;
      expect(again.data[0]?.revised_prompt).toBe(replayedPrompt);
      const row = await env.DB.prepare(
        "select response from idempotency_records where tenant_id = ?",
      )
        .bind(tenantId)
        .first<{ response: string }>();
      expect(row?.response.includes("a red fox")).toBe(storePrompts);
    },
  );

  it("refuses, without running or charging again, a key whose stored response was lost", async () => {
    const origin = installFakeOrigin({ us: succeed({ padBytes: 300_000 }) });
    const { key, tenantId } = await tenantWithKey();
    const body = { prompt: "a lighthouse", n: 2 };
    expect((await generate(key, body, withKey("idem-lost"))).status).toBe(200);
    // Too big for a D1 row, so kept in R2; then gone (a failed put reads the same: "lost").
    const kept = await env.IMAGES.list({ prefix: `idempotency/${tenantId}/` });
    expect(kept.objects).toHaveLength(1);
    await env.IMAGES.delete(kept.objects.map((o) => o.key));
    const res = await generate(key, body, withKey("idem-lost"));
    expect(res.status).toBe(409);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(((await res.json()) as ErrorEnvelope).error).toMatchObject({
      code: "idempotency_conflict",
      param: "Idempotency-Key",
    });
    expect(origin.calls).toHaveLength(1);
    expect(await usageOf(key)).toMatchObject({ images_used: 2, images_reserved: 0 });
  });

  it("answers 409 idempotency_conflict to the same key with a different body", async () => {
    installFakeOrigin();
    const { key } = await tenantWithKey();
    await generate(key, { prompt: "a lighthouse" }, withKey("idem-2"));
    const res = await generate(key, { prompt: "a lighthouse", n: 2 }, withKey("idem-2"));
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorEnvelope;
    expectConformant("ErrorResponse", body);
    expect(body.error).toMatchObject({ code: "idempotency_conflict", param: "Idempotency-Key" });
    expect(res.headers.get("x-should-retry")).toBe("false");
  });

  it("answers 409 with Retry-After to a repeat while the first is in flight, then replays", async () => {
    const held = hold();
    const origin = installFakeOrigin({ us: held.behaviour });
    const { key } = await tenantWithKey();
    const first = generate(key, { prompt: "a lighthouse" }, withKey("idem-3"));
    await held.firstArrival;
    const repeat = await generate(key, { prompt: "a lighthouse" }, withKey("idem-3"));
    expect(repeat.status).toBe(409);
    expect(repeat.headers.get("retry-after")).toBe("1");
    held.release();
    expect((await first).status).toBe(200);
    const after = await generate(key, { prompt: "a lighthouse" }, withKey("idem-3"));
    expect(after.headers.get("idempotent-replayed")).toBe("true");
    expect(origin.calls).toHaveLength(1);
  });

  it("does not keep a failure: a retry with the same key runs afresh", async () => {
    const failing = installFakeOrigin({
      us: answerError(500, "internal_error"),
      eu: answerError(500, "internal_error"),
    });
    const { key } = await tenantWithKey();
    expect((await generate(key, { prompt: "a lighthouse" }, withKey("idem-4"))).status).toBe(502);
    expect(failing.calls).toHaveLength(2);
    vi.restoreAllMocks();
    const healthy = installFakeOrigin();
    const retry = await generate(key, { prompt: "a lighthouse" }, withKey("idem-4"));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(healthy.calls).toHaveLength(1);
    expect(await usageOf(key)).toMatchObject({ images_used: 1 });
  });

  it("refuses a key reused on the other route rather than replaying that route's answer", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const body = { prompt: "a lighthouse" };
    expect((await generate(key, body, withKey("idem-cross-1"))).status).toBe(200);
    const asJob = await createJob(key, body, withKey("idem-cross-1"));
    expect(asJob.status).toBe(409);
    expect(asJob.body).toMatchObject({ error: { code: "idempotency_conflict" } });

    const job = await createJob(key, body, withKey("idem-cross-2"));
    expect(job.status).toBe(202);
    expect((await readEvents(key, job.body.id)).events.at(-1)?.event).toBe("completed");
    const asImages = await generate(key, body, withKey("idem-cross-2"));
    expect(asImages.status).toBe(409);
    expect(asImages.headers.get("idempotent-replayed")).toBeNull();
    expect(origin.calls).toHaveLength(2);
  });

  it("scopes keys to the tenant", async () => {
    const origin = installFakeOrigin();
    const a = await tenantWithKey();
    const b = await tenantWithKey();
    await generate(a.key, { prompt: "a lighthouse" }, withKey("shared-key"));
    const other = await generate(b.key, { prompt: "a lighthouse" }, withKey("shared-key"));
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(origin.calls.map((c) => c.body.tenant_id)).toEqual([a.tenantId, b.tenantId]);
  });

  it("replays a response too big for a D1 row from R2", async () => {
    const origin = installFakeOrigin({ us: succeed({ padBytes: 300_000 }) });
    const { key } = await tenantWithKey();
    const body = { prompt: "a lighthouse", n: 4 };
    const first = (await (await generate(key, body, withKey("idem-big"))).json()) as ImagesResponse;
    const replay = await generate(key, body, withKey("idem-big"));
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await replay.json()) as ImagesResponse).toEqual(first);
    expect(origin.calls).toHaveLength(1);
    const spilled = await env.IMAGES.list({ prefix: "idempotency/" });
    expect(spilled.objects).toHaveLength(1);
  });
});
