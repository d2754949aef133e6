// Validates a job's webhook_url before anything is stored: scheme, no credentials or fragment, no private hosts.
//
// The checks run on the WHATWG-normalised URL, so `http://0x7f.1/` is seen as 127.0.0.1 and
// `[::ffff:127.0.0.1]` as its mapped IPv6 form. Host names that resolve to private addresses are
// beyond a literal check; deployed Workers cannot reach private networks through fetch anyway.

export const MAX_WEBHOOK_URL_LENGTH = 2048;
const PARAM = "webhook_url";

export type WebhookUrlCheck =
  | { ok: true; url: string }
  | { ok: false; param: "webhook_url"; message: string };

export interface WebhookUrlPolicy {
  /** Development only (WEBHOOK_ALLOW_INSECURE): http, loopback and private hosts are accepted. */
  allowInsecure: boolean;
}

/** The policy for an environment: insecure only where wrangler.toml's top level sets the var. */
export function webhookUrlPolicy(env: { WEBHOOK_ALLOW_INSECURE?: string }): WebhookUrlPolicy {
  return { allowInsecure: env.WEBHOOK_ALLOW_INSECURE === "true" };
}

const reject = (message: string): WebhookUrlCheck => ({ ok: false, param: PARAM, message });

const PRIVATE_NAME_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa"];

/** [first, second-octet lower bound, second-octet upper bound] of reserved IPv4 blocks. */
const PRIVATE_V4: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 255], // "this network"
  [10, 0, 255],
  [100, 64, 127], // carrier-grade NAT
  [127, 0, 255], // loopback
  [169, 254, 254], // link-local, including cloud metadata endpoints
  [172, 16, 31],
  [192, 168, 168],
  [198, 18, 19], // benchmarking
];

function isPrivateV4(octets: readonly number[]): boolean {
  const [a = 0, b = 0, c = 0] = octets;
  if (a >= 224) return true; // multicast, reserved, broadcast
  if (a === 192 && b === 0 && c === 0) return true; // IETF protocol assignments
  return PRIVATE_V4.some(([first, low, high]) => a === first && b >= low && b <= high);
}

function v4FromHexPair(high: string, low: string): number[] {
  const h = Number.parseInt(high, 16);
  const l = Number.parseInt(low, 16);
  return [h >> 8, h & 255, l >> 8, l & 255];
}

/** `host` is the bracket-less, lower-case, compressed form WHATWG URL produces. */
function isPrivateV6(host: string): boolean {
  if (host === "::" || host === "::1") return true;
  if (/^f[cd][0-9a-f]{0,2}:/.test(host) || /^fe[89ab][0-9a-f]?:/.test(host)) return true;
  if (host.startsWith("ff")) return true; // multicast
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address inside.
  const embedded = /^(?:::ffff|64:ff9b:):([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  return embedded ? isPrivateV4(v4FromHexPair(embedded[1]!, embedded[2]!)) : false;
}

function privateHostReason(hostname: string): string | null {
  const host = hostname.replace(/\.$/, "");
  if (host.startsWith("[")) {
    return isPrivateV6(host.slice(1, -1)) ? "a loopback, private or reserved IPv6 address" : null;
  }
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    return isPrivateV4(v4.slice(1).map(Number)) ? "a loopback, private or reserved address" : null;
  }
  if (host === "localhost" || PRIVATE_NAME_SUFFIXES.some((s) => host.endsWith(s))) {
    return "a local host name";
  }
  if (!host.includes(".")) return "a single-label host name, which is not publicly resolvable";
  return null;
}

export function validateWebhookUrl(raw: unknown, policy: WebhookUrlPolicy): WebhookUrlCheck {
  if (typeof raw !== "string") return reject("webhook_url must be a string.");
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return reject(`webhook_url must be at most ${MAX_WEBHOOK_URL_LENGTH} characters.`);
  }
  // The URL parser would silently strip these; a URL that needs stripping is a mistake to report.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects.
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) {
    return reject("webhook_url must not contain spaces or control characters.");
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return reject("webhook_url must be an absolute URL.");
  }
  const schemes = policy.allowInsecure ? ["https:", "http:"] : ["https:"];
  if (!schemes.includes(url.protocol)) {
    return reject(`webhook_url must use ${policy.allowInsecure ? "https or http" : "https"}.`);
  }
  if (url.username || url.password) {
    return reject(
      "webhook_url must not contain credentials; verify deliveries by their signature.",
    );
  }
  if (raw.includes("#")) return reject("webhook_url must not contain a fragment (#…).");
  if (!url.hostname) return reject("webhook_url must name a host.");
  if (!policy.allowInsecure) {
    const reason = privateHostReason(url.hostname);
    if (reason) return reject(`webhook_url must point to a public host, not ${reason}.`);
  }
  return { ok: true, url: url.href };
}
