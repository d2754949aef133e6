// A prompt's length is counted in characters (code points) all the way: schema, plan and origin, on both routes.
import { afterEach, describe, expect, it, vi } from "vitest";
import { installStreamingOrigin } from "./test/fake-origin-stream";
import { generate, tenantWithKey } from "./test/generation";
import type { ErrorEnvelope } from "./test/harness";
import { createJob, readEvents } from "./test/jobs";

afterEach(() => vi.restoreAllMocks());

// U+1F98A (fox): one character, two UTF-16 units. 2,500 of them are 5,000 units.
const FOXES = "\u{1F98A}".repeat(2_500);

describe("a prompt of 2,500 astral characters (under the 4,000-character limit)", () => {
  it("is generated, and reaches the origin whole", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const res = await generate(key, { prompt: FOXES, quality: "low" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(origin.calls[0]?.body.prompt).toBe(FOXES);
  });

  it("is accepted as a job, which runs to completion", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const created = await createJob(key, { prompt: FOXES, quality: "low" });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const { events } = await readEvents(key, created.body.id);
    expect(events.at(-1)?.event).toBe("completed");
    expect(origin.calls[0]?.body.prompt).toBe(FOXES);
  });

  it("is refused at 4,001 characters, by the schema, naming prompt", async () => {
    installStreamingOrigin();
    const { key } = await tenantWithKey();
    const res = await generate(key, { prompt: "\u{1F98A}".repeat(4_001) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorEnvelope).error.param).toBe("prompt");
  });
});
