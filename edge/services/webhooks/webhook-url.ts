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

/** The eight 16-bit groups of a WHATWG-serialised IPv6 host (hex only, at most one `::`). */
function hextets(host: string): number[] | null {
  const [head = "", tail, extra] = host.split("::");
  if (extra !== undefined) return null;
  const part = (s: string) => (s === "" ? [] : s.split(":").map((h) => Number.parseInt(h, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const zeros = 8 - left.length - right.length;
  if (zeros < 0 || (tail === undefined && zeros !== 0)) return null;
  const groups = [...left, ...Array<number>(zeros).fill(0), ...right];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

const v4Of = (high: number, low: number) => [high >> 8, high & 255, low >> 8, low & 255];

/**
 * `host` is the bracket-less, lower-case, compressed form WHATWG URL produces. Reserved blocks
 * are refused outright; the forms that carry an IPv4 address (mapped, translated, NAT64, 6to4)
 * are judged by that address, so `[::ffff:7f00:1]` is loopback as 127.0.0.1 is.
 */
function isPrivateV6(host: string): boolean {
  const g = hextets(host);
  if (!g) return true; // not an address this check understands: refuse rather than guess
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h6 = 0, h7 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(6)) return true; // ::, ::1 and the deprecated IPv4-compatible ::/96
  if (zeroTo(5) && f === 0xffff) return isPrivateV4(v4Of(h6, h7)); // mapped ::ffff:0:0/96
  if (zeroTo(4) && e === 0xffff && f === 0) return isPrivateV4(v4Of(h6, h7)); // translated
  if (a === 0x64 && b === 0xff9b) {
    // NAT64: the well-known prefix carries an IPv4 address; 64:ff9b:1::/48 is local use.
    return c === 0 && d === 0 && e === 0 && f === 0 ? isPrivateV4(v4Of(h6, h7)) : true;
  }
  if (a === 0x2002) return isPrivateV4(v4Of(b, c)); // 6to4
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  if (a === 0x0100 && b === 0 && c === 0 && d === 0) return true; // discard-only 100::/64
  if (a >= 0xfc00 && a <= 0xfdff) return true; // unique local
  if (a >= 0xfe80 && a <= 0xfeff) return true; // link-local and the old site-local
  return a >= 0xff00; // multicast
}

function privateHostReason(hostname: string): string | null {
  const host = hostname.replace(/\.+$/, "");
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
