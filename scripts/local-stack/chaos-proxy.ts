// A reverse proxy in front of one origin that can pass, hang, fail with 500, slow down or refuse connections.
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { errorBody } from "../../protocol/errors";

export type ChaosMode =
  | { readonly kind: "pass" }
  /** Accept the request and never answer (until the mode changes or the proxy closes). */
  | { readonly kind: "hang" }
  /** Answer 500 `internal_error` in the documented error shape; the origin never sees the request. */
  | { readonly kind: "fail500" }
  /** Wait `ms` before forwarding. */
  | { readonly kind: "slow"; readonly ms: number }
  /** Close the listener and every open connection: new connections are refused. */
  | { readonly kind: "refuse" };

/** What the proxy did with `POST /internal/v1/generate` calls (probes and other paths are not counted). */
export interface ChaosCounts {
  generate: number;
  forwarded: number;
  hung: number;
  failed500: number;
  /** Forwarded, but the origin refused or dropped the connection (e.g. killed): the caller saw a reset. */
  upstreamLost: number;
}

const GENERATE_PATH = "/internal/v1/generate";
/** Hop-by-hop headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te"]);

const zeroCounts = (): ChaosCounts => ({
  generate: 0,
  forwarded: 0,
  hung: 0,
  failed500: 0,
  upstreamLost: 0,
});

function forwardableHeaders(raw: IncomingMessage["headers"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

export class ChaosProxy {
  private mode: ChaosMode = { kind: "pass" };
  private counts = zeroCounts();
  private readonly sockets = new Set<Socket>();
  private readonly hung = new Set<ServerResponse>();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly server: Server;
  private listening = false;

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly upstream: string,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  /** `upstream` is the origin's base URL (http://host:port). */
  static async start(opts: { host: string; port: number; upstream: string }): Promise<ChaosProxy> {
    const proxy = new ChaosProxy(opts.host, opts.port, opts.upstream.replace(/\/+$/, ""));
    await proxy.listen();
    return proxy;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get current(): ChaosMode {
    return this.mode;
  }

  /** Counts since the last `resetCounts()`. */
  stats(): ChaosCounts {
    return { ...this.counts };
  }

  resetCounts(): void {
    this.counts = zeroCounts();
  }

  pass = () => this.set({ kind: "pass" });
  hang = () => this.set({ kind: "hang" });
  fail500 = () => this.set({ kind: "fail500" });
  slow = (ms: number) => this.set({ kind: "slow", ms });
  refuse = () => this.set({ kind: "refuse" });

  /** Every change releases hung requests (their connections are dropped). */
  async set(mode: ChaosMode): Promise<void> {
    this.releaseHung();
    this.mode = mode;
    if (mode.kind === "refuse") await this.unlisten();
    else await this.listen();
  }

  async close(): Promise<void> {
    this.releaseHung();
    await this.unlisten();
    this.agent.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const isGenerate = req.method === "POST" && (req.url ?? "").startsWith(GENERATE_PATH);
    if (isGenerate) this.counts.generate += 1;
    const mode = this.mode;
    const count = (key: Exclude<keyof ChaosCounts, "generate">) => {
      if (isGenerate) this.counts[key] += 1;
    };
    if (mode.kind === "hang") {
      count("hung");
      req.resume();
      this.hung.add(res);
      res.once("close", () => this.hung.delete(res));
      return;
    }
    if (mode.kind === "fail500") {
      count("failed500");
      req.resume();
      const body = JSON.stringify(errorBody("internal_error", "chaos proxy: injected failure"));
      res.writeHead(500, { "content-type": "application/json" }).end(body);
      return;
    }
    const delay = mode.kind === "slow" ? mode.ms : 0;
    if (delay > 0) setTimeout(() => this.forward(req, res, count), delay);
    else this.forward(req, res, count);
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    count: (key: "forwarded" | "upstreamLost") => void,
  ): void {
    const upstream = httpRequest(`${this.upstream}${req.url ?? "/"}`, {
      method: req.method,
      headers: forwardableHeaders(req.headers),
      agent: this.agent,
    });
    upstream.on("response", (answer) => {
      count("forwarded");
      res.writeHead(answer.statusCode ?? 502, forwardableHeaders(answer.headers));
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    // A dead origin looks, to the caller, like what it is: a connection that drops without an answer.
    upstream.on("error", () => {
      count("upstreamLost");
      res.destroy();
    });
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  private releaseHung(): void {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
  }

  private listen(): Promise<void> {
    if (this.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        this.server.off("error", reject);
        this.listening = true;
        resolve();
      });
    });
  }

  private unlisten(): Promise<void> {
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }
}
