// The chaos proxy against a small real upstream on loopback: each mode does to a caller what it says.
import { createServer, type Server } from "node:http";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ErrorBodySchema } from "../../protocol/errors";
import { ChaosProxy } from "../../scripts/local-stack/chaos-proxy";

const UPSTREAM_PORT = 19750;
const PROXY_PORT = 19751;
const GENERATE = "/internal/v1/generate";

let upstream: Server;
let upstreamSeen: string[] = [];
let proxy: ChaosProxy;

function listen(server: Server, port: number) {
  return new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
}

function startUpstream() {
  upstream = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      upstreamSeen.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200, { "content-type": "application/json", "x-upstream": "yes" });
      res.end(JSON.stringify({ echoed: body }));
    });
  });
  return listen(upstream, UPSTREAM_PORT);
}

const stopUpstream = () => new Promise<void>((resolve) => upstream.close(() => resolve()));

const post = (body = "{}", signal?: AbortSignal) =>
  request(`${proxy.url}${GENERATE}`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
    signal,
  });

beforeAll(async () => {
  await startUpstream();
  proxy = await ChaosProxy.start({
    host: "127.0.0.1",
    port: PROXY_PORT,
    upstream: `http://127.0.0.1:${UPSTREAM_PORT}`,
  });
});

afterAll(async () => {
  await proxy?.close();
  upstream?.closeAllConnections();
  await stopUpstream();
});

beforeEach(async () => {
  await proxy.pass();
  proxy.resetCounts();
  upstreamSeen = [];
});

describe("chaos proxy", () => {
  it("passes a request through with its body, status and headers", async () => {
    const res = await post('{"a":1}');
    expect(res.statusCode).toBe(200);
    expect(res.headers["x-upstream"]).toBe("yes");
    expect(await res.body.json()).toEqual({ echoed: '{"a":1}' });
    expect(upstreamSeen).toEqual([`POST ${GENERATE} {"a":1}`]);
    expect(proxy.stats()).toMatchObject({ generate: 1, forwarded: 1 });
  });

  it("answers 500 in the documented error shape without reaching the origin", async () => {
    await proxy.fail500();
    const res = await post();
    expect(res.statusCode).toBe(500);
    const body = ErrorBodySchema.parse(await res.body.json());
    expect(body.error.code).toBe("internal_error");
    expect(upstreamSeen).toEqual([]);
    expect(proxy.stats()).toMatchObject({ generate: 1, failed500: 1, forwarded: 0 });
  });

  it("holds a request without an answer until the mode changes, then drops it", async () => {
    await proxy.hang();
    let settled = false;
    const pending = post().then(
      () => "answered",
      () => "dropped",
    );
    void pending.then(() => {
      settled = true;
    });
    // Still unanswered once the proxy has taken it in.
    await expect.poll(() => proxy.stats().hung).toBe(1);
    expect(settled).toBe(false);
    await proxy.pass();
    expect(await pending).toBe("dropped");
    expect(upstreamSeen).toEqual([]);
  });

  it("refuses connections while refusing, and accepts them again after", async () => {
    await proxy.refuse();
    const refused = await post().catch((error: { code?: string }) => error.code ?? "error");
    expect(refused).toBe("ECONNREFUSED");
    await proxy.pass();
    expect((await post()).statusCode).toBe(200);
  });

  it("still forwards when slow", async () => {
    await proxy.slow(50);
    const res = await post('{"slow":true}');
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(upstreamSeen).toEqual([`POST ${GENERATE} {"slow":true}`]);
  });

  it("drops the caller's connection when the origin behind it is gone", async () => {
    upstream.closeAllConnections();
    await stopUpstream();
    try {
      const outcome = await post().then(
        (res) => `answered ${res.statusCode}`,
        () => "dropped",
      );
      expect(outcome).toBe("dropped");
      expect(proxy.stats()).toMatchObject({ generate: 1, upstreamLost: 1 });
    } finally {
      await startUpstream();
    }
  });
});
