// Multi-process: two real origin regions + the edge under wrangler dev, driven by the official `openai` client.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant, issueKey } from "../scripts/local-stack/admin-client";
import { type LocalStack, startLocalStack } from "../scripts/local-stack/stack";
import { configFromEnv } from "../scripts/local-stack/stack-config";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const ADMIN_TOKEN = "openai-client-test-admin-token";

const isPng = (bytes: Uint8Array) => PNG_MAGIC.every((b, i) => bytes[i] === b);

let scratch = "";
let stack: LocalStack | undefined;
let client: OpenAI;
let apiKey = "";
let model = "";

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "darkroom-openai-client-"));
  const defaults = configFromEnv({});
  stack = await startLocalStack({
    ...defaults,
    edgePort: 18787,
    origins: [
      { region: "us", port: 18801, portVar: "ORIGIN_US_PORT" },
      { region: "eu", port: 18802, portVar: "ORIGIN_EU_PORT" },
    ],
    adminToken: ADMIN_TOKEN,
    originSecret: randomBytes(24).toString("base64url"),
    persistDir: join(scratch, "state"),
    logDir: join(scratch, "logs"),
  });
  const tenant = await createTenant(stack.edgeUrl, ADMIN_TOKEN, {
    name: "openai-client-test",
    rate_limit_per_minute: 600,
    max_concurrency: 8,
    monthly_image_quota: 1_000,
  });
  apiKey = (await issueKey(stack.edgeUrl, ADMIN_TOKEN, tenant.id, "openai-client")).key;
  // No retries: a retried 5xx would hide exactly the failures this test exists to see.
  client = new OpenAI({ apiKey, baseURL: `${stack.edgeUrl}/v1`, maxRetries: 0, timeout: 60_000 });
  const models = await client.models.list();
  model = models.data[0]?.id ?? "";
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
}, 60_000);

describe("the official openai client against the local stack", () => {
  it("lists at least one model", () => {
    expect(model).not.toBe("");
  });

  it("generates b64_json images that decode to PNGs", async () => {
    const response = await client.images.generate({
      model,
      prompt: "a red fox in the snow",
      size: "256x256",
      quality: "low",
      n: 2,
      response_format: "b64_json",
    });
    expect(response.created).toBeGreaterThan(0);
    expect(response.data).toHaveLength(2);
    for (const image of response.data ?? []) {
      expect(image.url).toBeUndefined();
      expect(isPng(Buffer.from(image.b64_json ?? "", "base64"))).toBe(true);
    }
    const extension = response as unknown as { darkroom?: { region?: string } };
    expect(["us", "eu"]).toContain(extension.darkroom?.region);
  });

  it("returns a url that serves the PNG to the owning tenant only", async () => {
    const response = await client.images.generate({
      model,
      prompt: "a lighthouse on a cliff at dusk",
      size: "256x256",
      quality: "low",
      response_format: "url",
    });
    const url = response.data?.[0]?.url ?? "";
    expect(url).toMatch(/^https?:\/\//);
    expect(response.data?.[0]?.b64_json).toBeUndefined();

    const owner = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(owner.status).toBe(200);
    expect(isPng(new Uint8Array(await owner.arrayBuffer()))).toBe(true);

    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    await anonymous.arrayBuffer();
  });

  it("streams partial images, then the completed image, with stream: true", async () => {
    const stream = await client.images.generate({
      model,
      prompt: "a blue square on a green field",
      size: "256x256",
      quality: "medium",
      stream: true,
      partial_images: 2,
    });
    const events = [];
    for await (const event of stream) events.push(event);
    const partials = events.filter((e) => e.type === "image_generation.partial_image");
    const completed = events.filter((e) => e.type === "image_generation.completed");
    expect(partials.length).toBeGreaterThanOrEqual(1);
    expect(partials.map((e) => e.partial_image_index)).toEqual(partials.map((_, i) => i));
    expect(completed).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("image_generation.completed");
    expect(isPng(Buffer.from(completed[0]?.b64_json ?? "", "base64"))).toBe(true);
  });

  it("surfaces a bad key as OpenAI.AuthenticationError (401)", async () => {
    const stranger = new OpenAI({
      apiKey: `drk_${"x".repeat(40)}`,
      baseURL: `${stack?.edgeUrl}/v1`,
      maxRetries: 0,
    });
    const error = await stranger.images
      .generate({ model, prompt: "a red fox", size: "256x256" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.status).toBe(401);
    expect(apiError.code).toBe("invalid_api_key");
    expect(apiError.requestID).toBeTruthy();
  });

  it("surfaces an unsupported size as OpenAI.BadRequestError naming the param", async () => {
    const error = await client.images
      .generate({ model, prompt: "a red fox", size: "300x300", quality: "low" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.status).toBe(400);
    expect(apiError.param).toBe("size");
    expect(apiError.type).toBeTruthy();
  });
});
