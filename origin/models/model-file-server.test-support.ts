// A real HTTP file server on 127.0.0.1 for model-store tests: counts requests, honours or ignores Range.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { ModelManifest } from "./model-manifest";

export interface ServedRequest {
  path: string;
  range: string | undefined;
  status: number;
}

export interface ModelFileServer {
  baseUrl: string;
  requests: ServedRequest[];
  /** The next full or ranged answer for `path` stops after `bytes` body bytes and drops the socket. */
  cutOnce(path: string, bytes: number): void;
  /** Answer Range requests with the whole file (200), as some static servers do. */
  ignoreRanges: boolean;
  /** Replace the bytes served for a path (the manifest keeps its own hash). */
  override(path: string, bytes: Uint8Array): void;
  /** A manifest for `files` of `modelDir`, with URLs on this server. */
  manifest(id: string, files: string[]): Promise<ModelManifest>;
  close(): Promise<void>;
}

export async function startModelFileServer(modelDir: string): Promise<ModelFileServer> {
  const requests: ServedRequest[] = [];
  const cuts = new Map<string, number>();
  const overrides = new Map<string, Uint8Array>();
  const bodyOf = async (path: string) => overrides.get(path) ?? readFile(join(modelDir, path));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1));
    const range = req.headers.range;
    const record = (status: number) => requests.push({ path, range, status });
    let body: Uint8Array;
    try {
      body = await bodyOf(path);
    } catch {
      record(404);
      res.writeHead(404).end("not found");
      return;
    }
    const start = Number(/^bytes=(\d+)-$/.exec(range ?? "")?.[1] ?? 0);
    const ranged = range !== undefined && !server.ignoreRanges;
    const status = ranged ? 206 : 200;
    const slice = ranged ? body.subarray(start) : body;
    record(status);
    const headers: Record<string, string | number> = { "content-length": slice.length };
    if (ranged) headers["content-range"] = `bytes ${start}-${body.length - 1}/${body.length}`;
    res.writeHead(status, headers);
    const cut = cuts.get(path);
    if (cut === undefined) {
      res.end(slice);
      return;
    }
    cuts.delete(path);
    res.write(slice.subarray(0, cut), () => res.socket?.destroy());
  };

  const http = createServer((req, res) => void handle(req, res));
  await new Promise<void>((done) => http.listen(0, "127.0.0.1", done));
  const baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const server: ModelFileServer = {
    baseUrl,
    requests,
    ignoreRanges: false,
    cutOnce: (path, bytes) => cuts.set(path, bytes),
    override: (path, bytes) => overrides.set(path, bytes),
    async manifest(id, files) {
      const entries = await Promise.all(
        files.map(async (path) => {
          const bytes = await readFile(join(modelDir, path));
          const sha256 = createHash("sha256").update(bytes).digest("hex");
          return { path, url: `${baseUrl}/${path}`, sha256, size: bytes.length };
        }),
      );
      return { id, files: entries };
    },
    close: () =>
      new Promise<void>((done) => {
        http.closeAllConnections();
        http.close(() => done());
      }),
  };
  return server;
}
