// A region is several origin pods behind one URL: a cancel or attach for a run another pod holds is passed on to it.
//
// The edge knows a region by its URL, and a load balancer picks the pod. A generation runs on the
// pod that took it, so the signed `POST /internal/v1/cancel` or `/attach` that follows may land on
// a pod that never saw it. That pod asks its peers (DARKROOM_PEERS: `host:port` entries, or
// `dns:<name>:<port>` for a Kubernetes headless Service resolved at each call) with the same signed
// request, marked forwarded so that no peer passes it on again, and answers with the first peer's
// answer that is not a 404. The signature covers method, path and body, not the host, so it
// verifies on the peer as it did here.
import { lookup } from "node:dns/promises";
import { networkInterfaces } from "node:os";
import type { Context } from "hono";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../protocol/signing";
import type { OriginEnv } from "./origin-env";
import { OriginError } from "./origin-error";

/** Set on a forwarded request: the peer answers for itself and never forwards it again. */
export const FORWARDED_HEADER = "x-darkroom-forwarded";
/**
 * How long a peer may take to answer (its headers; an attach's events may come much later): under
 * the edge's own 5 s for a cancel, so a slow peer comes back as a retryable 503 rather than a
 * timeout there.
 */
const PEER_ANSWER_TIMEOUT_MS = 3_000;

/** What asking the peers gave: a peer's answer, nobody has it (every peer said 404), or no telling. */
export type PeerAnswer =
  | { readonly kind: "answer"; readonly response: Response }
  | { readonly kind: "nobody" }
  | { readonly kind: "unsure" };

/** Not every peer answered, so the run may be on one of them: a retryable 503, not a final 404. */
export function peersUnsure(): OriginError {
  const message = "This pod does not run that request, and not every peer pod answered; retry.";
  return new OriginError("not_ready", message, null, 1);
}

export type PeerEntry =
  | { readonly kind: "address"; readonly host: string; readonly port: number }
  | { readonly kind: "dns"; readonly name: string; readonly port: number };

/** Parses DARKROOM_PEERS entries; throws naming the entry that is not `host:port` or `dns:name:port`. */
export function parsePeers(entries: readonly string[]): PeerEntry[] {
  return entries.map((entry) => {
    const dns = entry.startsWith("dns:");
    const rest = dns ? entry.slice(4) : entry;
    const colon = rest.lastIndexOf(":");
    const host = rest.slice(0, colon);
    const port = Number(rest.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(
        `DARKROOM_PEERS entry "${entry}" is not host:port or dns:<name>:<port> (e.g. dns:darkroom-origin-peers:8801)`,
      );
    }
    return dns ? { kind: "dns", name: host, port } : { kind: "address", host, port };
  });
}

export class PeerForwarder {
  constructor(
    private readonly peers: readonly PeerEntry[],
    /** This process's own port: its own addresses on it are not peers. */
    private readonly ownPort: number,
    private readonly fetcher: typeof fetch = fetch,
  ) {}

  /** Whether this request may be passed on (it was not passed on to here). */
  static mayForward(c: Context<OriginEnv>): boolean {
    return !c.req.header(FORWARDED_HEADER);
  }

  /**
   * The first peer's success for this request (a 2xx; for an attach, an event stream), streamed
   * through as it comes. `nobody` only when every peer answered 404: a peer that did not answer,
   * answered otherwise (a 401 from a skewed clock, a 5xx), or a peer list that could not be read
   * leaves it `unsure`, which the caller answers with a retryable 503, never a final 404.
   */
  async forward(c: Context<OriginEnv>): Promise<PeerAnswer> {
    const targets = await this.targets();
    if (targets === null) return { kind: "unsure" };
    if (targets.length === 0) return { kind: "nobody" };
    const wantsStream = /text\/event-stream/.test(c.req.header("accept") ?? "");
    const path = new URL(c.req.url).pathname;
    const headers: Record<string, string> = {
      "content-type": c.req.header("content-type") ?? "application/json",
      [FORWARDED_HEADER]: "1",
    };
    for (const name of [SIGNATURE_HEADER, TIMESTAMP_HEADER, "accept", "traceparent"]) {
      const value = c.req.header(name);
      if (value) headers[name] = value;
    }
    const body = c.get("rawBody");
    const attempts = targets.map(async (target) => {
      const answered = new AbortController();
      const timer = setTimeout(() => answered.abort(), PEER_ANSWER_TIMEOUT_MS);
      try {
        const res = await this.fetcher(`http://${target}${path}`, {
          method: "POST",
          headers,
          body,
          // The edge hanging up ends the forwarded call too.
          signal: AbortSignal.any([answered.signal, c.req.raw.signal]),
        });
        const type = res.headers.get("content-type") ?? "";
        if (res.ok && (!wantsStream || type.includes("text/event-stream"))) {
          return { kind: "answer", response: relayed(res) } as const;
        }
        await res.body?.cancel();
        return res.status === 404 ? null : "unsure";
      } catch {
        return "unsure";
      } finally {
        clearTimeout(timer);
      }
    });
    // The first peer to have it wins; the others are let go as their answers come.
    return new Promise<PeerAnswer>((resolve) => {
      let left = attempts.length;
      let won = false;
      let unsure = false;
      for (const attempt of attempts) {
        void attempt.then((outcome) => {
          left -= 1;
          if (outcome && outcome !== "unsure" && !won) {
            won = true;
            resolve(outcome);
            return;
          }
          if (outcome && outcome !== "unsure") outcome.response.body?.cancel().catch(() => {});
          if (outcome === "unsure") unsure = true;
          if (left === 0 && !won) resolve(unsure ? { kind: "unsure" } : { kind: "nobody" });
        });
      }
    });
  }

  /** `host:port` of every peer now, without this process itself; null when a name did not resolve. */
  private async targets(): Promise<string[] | null> {
    const own = ownAddresses();
    const lists = await Promise.all(
      this.peers.map(async (peer) => {
        if (peer.kind === "address") return [{ address: peer.host, port: peer.port }];
        const found = await lookup(peer.name, { all: true }).catch(() => null);
        return found?.map(({ address }) => ({ address, port: peer.port })) ?? null;
      }),
    );
    if (lists.some((list) => list === null)) return null;
    return [
      ...new Set(
        (lists as { address: string; port: number }[][])
          .flat()
          .filter(({ address, port }) => !(port === this.ownPort && own.has(address)))
          .map(({ address, port }) =>
            address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`,
          ),
      ),
    ];
  }
}

/** The peer's answer as this origin's own: its status, body (streamed) and the headers that matter. */
function relayed(res: Response): Response {
  const headers = new Headers();
  for (const name of ["content-type", "retry-after", "cache-control"]) {
    const value = res.headers.get(name);
    if (value) headers.set(name, value);
  }
  return new Response(res.body, { status: res.status, headers });
}

function ownAddresses(): Set<string> {
  const own = new Set(["localhost"]);
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) own.add(info.address);
  }
  return own;
}
