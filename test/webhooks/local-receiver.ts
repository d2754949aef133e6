// A real HTTP webhook receiver on loopback (node:http): scripted answers per path, raw bodies verified.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  verifyWebhook,
  type WebhookVerification,
} from "../../edge/services/webhooks/webhook-signature";

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  verification: WebhookVerification;
  /** The status this receiver answered with. */
  answered: number;
}

export interface LocalReceiver {
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * `scripts` maps a path to the statuses of its successive answers (the last repeats); every
 * request is verified against `secret` the way a tenant's receiver would, on the raw bytes.
 */
export async function startLocalReceiver(options: {
  port: number;
  secret: string;
  scripts: Record<string, number[]>;
}): Promise<LocalReceiver> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const path = req.url ?? "/";
      const verification = await verifyWebhook(options.secret, req.headers, new Uint8Array(raw));
      const script = options.scripts[path] ?? [404];
      const seen = received.filter((r) => r.path === path).length;
      const answered = script[Math.min(seen, script.length - 1)]!;
      received.push({
        path,
        headers: req.headers,
        body: raw.toString("utf8"),
        verification,
        answered,
      });
      res.writeHead(answered, { "content-type": "text/plain" }).end(String(answered));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
