// stream: true on /v1/images/generations: OpenAI's image stream events (validated against OpenAI's schemas), failover, death.
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { afterEach, describe, expect, it, vi } from "vitest";
import schema from "../../../shared/conformance/openai-images.schema.json";
import { parseSse } from "../../protocol/events";
import { costUnits } from "../services/tenant-gate/cost";
import { FAKE_ORIGIN_BINDINGS, refuseConnection } from "../test/fake-origin";
import {
  completeWithoutImages,
  handBack,
  installStreamingOrigin,
  plain,
  stream,
} from "../test/fake-origin-stream";
import { generate, tenantWithKey, usageOf } from "../test/generation";
import { adminCall, callEagerly, type ErrorEnvelope } from "../test/harness";
import {
  keepalivesIn,
  messagesAreWhole,
  readTextUntil,
  streamGenerate,
  textReader,
} from "../test/jobs";

afterEach(() => vi.restoreAllMocks());

const ajv = new Ajv2020({ allowUnionTypes: true, strict: false });
addFormats(ajv);
ajv.addSchema(schema);

function expectOpenAiEvent(
  name: "ImageGenPartialImageEvent" | "ImageGenCompletedEvent",
  data: unknown,
) {
  const validate = ajv.getSchema(`${schema.$id}#/$defs/${name}`);
  if (!validate) throw new Error(`no ${name} in the conformance schema`);
  expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
}

/** A `stream: true` generation whose heartbeat comes every 20 ms, its body already being read. */
async function streamWithFastHeartbeat() {
  const { key } = await tenantWithKey();
  const { response, done } = await callEagerly("/v1/images/generations", {
    token: key,
    json: { prompt: "a fox", quality: "low", stream: true },
    bindings: { ...FAKE_ORIGIN_BINDINGS, SSE_HEARTBEAT_MS: "20" },
  });
  expect(response.status).toBe(200);
  return { key, reader: textReader(response.body), done };
}

describe("POST /v1/images/generations with stream: true", () => {
  it("sends partial_images previews, then one completed event per image, in OpenAI's shapes", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const { res, messages } = await streamGenerate(key, {
      prompt: "a fox",
      n: 2,
      steps: 8,
      seed: 3,
      partial_images: 2,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-darkroom-region")).toBe("us");
    expect(messages.map((m) => m.event)).toEqual([
      "image_generation.partial_image",
      "image_generation.partial_image",
      "image_generation.completed",
      "image_generation.completed",
    ]);
    const data = messages.map((m) => JSON.parse(m.data));
    for (const partial of data.slice(0, 2)) expectOpenAiEvent("ImageGenPartialImageEvent", partial);
    for (const done of data.slice(2)) expectOpenAiEvent("ImageGenCompletedEvent", done);
    expect(data.slice(0, 2).map((d) => d.partial_image_index)).toEqual([0, 1]);
    expect(data.slice(2).map((d) => d.darkroom.seed)).toEqual([3, 4]);
    expect(atob(data[2].b64_json).slice(1, 4)).toBe("PNG");
    expect(origin.calls[0]?.body.preview_every).toBe(4);
    expect(await usageOf(key)).toMatchObject({ images_used: 2, images_reserved: 0 });
  });

  it("audits the streamed request when the stream ends, with its region and the units charged", async () => {
    const origin = installStreamingOrigin();
    const { key, tenantId } = await tenantWithKey();
    const { res } = await streamGenerate(key, { prompt: "a fox", n: 2, steps: 8 });
    expect(res.status).toBe(200);
    const sent = origin.calls[0]?.body;
    if (!sent) throw new Error("the origin was not called");
    const units = costUnits({
      tier: sent.tier,
      width: sent.width,
      height: sent.height,
      steps: 8,
      n: 2,
    });
    const audit = await adminCall<{
      data: { route: string; status: number; cost_charged: number; region: string }[];
    }>(`/admin/audit?tenant_id=${tenantId}`);
    const records = audit.body.data.filter((r) => r.route === "POST /v1/images/generations");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 200, region: "us" });
    expect(records[0]?.cost_charged).toBe(units);
    expect(await usageOf(key)).toMatchObject({ images_used: 2, units_used: units });
  });

  it("asks for no previews and sends none when partial_images is 0 or absent", async () => {
    const origin = installStreamingOrigin();
    const { key } = await tenantWithKey();
    const { messages } = await streamGenerate(key, { prompt: "a fox", quality: "low" });
    expect(messages.map((m) => m.event)).toEqual(["image_generation.completed"]);
    expect(origin.calls[0]?.body.preview_every).toBe(0);
  });

  it("fails over to the next region when the first refuses before its first event", async () => {
    const origin = installStreamingOrigin({ us: plain(refuseConnection) });
    const { key } = await tenantWithKey();
    const { res, messages } = await streamGenerate(key, { prompt: "a fox", quality: "low" });
    expect(res.headers.get("x-darkroom-region")).toBe("eu");
    expect(messages.map((m) => m.event)).toEqual(["image_generation.completed"]);
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
  });

  it("moves on to the next region when the first drains while the generation is queued there", async () => {
    const origin = installStreamingOrigin({ us: handBack() });
    const { key } = await tenantWithKey();
    const { res, messages } = await streamGenerate(key, { prompt: "a fox", quality: "low" });
    expect(res.status).toBe(200);
    expect(messages.map((m) => m.event)).toEqual(["image_generation.completed"]);
    const done = JSON.parse(messages[0]?.data ?? "{}") as { darkroom: { region: string } };
    expect(done.darkroom.region).toBe("eu");
    expect(origin.calls.map((c) => c.region)).toEqual(["us", "eu"]);
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
  });

  it("sends keepalive comments while the image waits queued, then its events, and ends", async () => {
    const origin = installStreamingOrigin({ us: stream({ holdQueued: true }) });
    const { key, reader, done } = await streamWithFastHeartbeat();
    // Queued at us, the origin sends nothing: only the heartbeat reaches the client.
    const queued = await readTextUntil(reader, (text) => keepalivesIn(text) >= 3);
    expect(queued.ended).toBe(false);
    expect(origin.handBack(origin.calls[0]?.body.request_id ?? "")).toBe(true);
    const rest = await readTextUntil(reader);
    expect(rest.ended).toBe(true);
    await done;

    const text = queued.text + rest.text;
    expect(messagesAreWhole(text)).toBe(true);
    const { messages } = parseSse(text);
    expect(messages.map((m) => m.event)).toEqual(["image_generation.completed"]);
    expect(JSON.parse(messages[0]?.data ?? "{}").darkroom.region).toBe("eu");
    expect(await usageOf(key)).toMatchObject({ images_used: 1, images_reserved: 0 });
  });

  it("closes the origin call when the client hangs up while the origin is silent, and refunds", async () => {
    const origin = installStreamingOrigin({ us: stream({ holdQueued: true }) });
    const { key, reader, done } = await streamWithFastHeartbeat();
    await readTextUntil(reader, (text) => keepalivesIn(text) >= 1);
    await reader.cancel();
    // The next heartbeat finds nobody; the edge closes its call, which cancels at the origin.
    const generationId = origin.calls[0]?.body.request_id ?? "";
    await vi.waitFor(() => expect(origin.hungUp).toEqual([generationId]));
    await done;
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0, in_flight: 0 });
  });

  it("ends with an error event (no completed) when the origin dies mid-run, and refunds", async () => {
    installStreamingOrigin({ us: stream({ dieAt: 1 }) });
    const { key, tenantId } = await tenantWithKey();
    const { res, messages } = await streamGenerate(key, {
      prompt: "a fox",
      steps: 8,
      partial_images: 3,
    });
    expect(res.status).toBe(200);
    expect(messages.map((m) => m.event)).toEqual(["image_generation.partial_image", "error"]);
    const error = JSON.parse(messages[1]?.data ?? "{}") as ErrorEnvelope;
    expect(error.error.code).toBe("upstream_error");
    expect(error.error.request_id).toBe(res.headers.get("x-request-id"));
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0 });
    // Audited as what it was: a 200 stream that ended in upstream_error, nothing charged.
    const audit = await adminCall<{
      data: { route: string; status: number; error_code: string | null; cost_charged: number }[];
    }>(`/admin/audit?tenant_id=${tenantId}`);
    const records = audit.body.data.filter((r) => r.route === "POST /v1/images/generations");
    expect(records).toEqual([
      expect.objectContaining({ status: 200, error_code: "upstream_error", cost_charged: 0 }),
    ]);
  });

  it("ends with an error event, and refunds, when the origin completes with no image", async () => {
    installStreamingOrigin({ us: completeWithoutImages });
    const { key } = await tenantWithKey();
    const { res, messages } = await streamGenerate(key, { prompt: "a fox", quality: "low" });
    expect(res.status).toBe(200);
    expect(messages.map((m) => m.event)).toEqual(["error"]);
    const error = JSON.parse(messages[0]?.data ?? "{}") as ErrorEnvelope;
    expect(error.error.code).toBe("upstream_error");
    expect(await usageOf(key)).toMatchObject({ images_used: 0, images_reserved: 0, in_flight: 0 });
  });

  it("answers a plain JSON error, not a stream, when no region can take it", async () => {
    installStreamingOrigin({ us: plain(refuseConnection), eu: plain(refuseConnection) });
    const { key } = await tenantWithKey();
    const { res, text } = await streamGenerate(key, { prompt: "a fox", quality: "low" });
    expect(res.status).toBe(503);
    expect(JSON.parse(text)).toMatchObject({ error: { code: "no_capacity" } });
    expect(await usageOf(key)).toMatchObject({ images_reserved: 0, in_flight: 0 });
  });

  it("refuses an Idempotency-Key, and partial_images without stream", async () => {
    const { key } = await tenantWithKey();
    const keyed = await generate(
      key,
      { prompt: "a fox", stream: true },
      { headers: { "idempotency-key": "k1" } },
    );
    expect(keyed.status).toBe(400);
    expect(((await keyed.json()) as ErrorEnvelope).error.param).toBe("Idempotency-Key");
    const partial = await generate(key, { prompt: "a fox", partial_images: 1 });
    expect(((await partial.json()) as ErrorEnvelope).error.param).toBe("partial_images");
  });
});
