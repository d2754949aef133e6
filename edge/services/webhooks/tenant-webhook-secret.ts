// Per-tenant webhook signing secrets, derived from one Worker secret so none is ever stored.
import { SECRET_PREFIX, toBase64 } from "./webhook-signature";

/**
 * Only where ENVIRONMENT is "development" (wrangler dev, the local stack, tests) and no
 * WEBHOOK_SIGNING_SECRET is set: the same rule as the dev admin token, so `npm start` works
 * with no setup while every deployed environment must set the real secret.
 */
export const DEV_WEBHOOK_SIGNING_SECRET = "dev-webhook-signing-secret";

/** The label keeps these derivations apart from any other use of the same master secret. */
const DERIVATION_LABEL = "darkroom-webhook-v1:";

export interface WebhookSecretConfig {
  WEBHOOK_SIGNING_SECRET?: string;
  ENVIRONMENT: string;
}

/**
 * The master secret to derive from, or null when webhooks cannot be signed here. The public dev
 * value is refused outside development even when set explicitly (a copied .dev.vars), as the dev
 * admin token is: anyone could forge a deployment's webhooks with it.
 */
export function webhookMasterSecret(env: WebhookSecretConfig): string | null {
  const development = env.ENVIRONMENT === "development";
  const set = env.WEBHOOK_SIGNING_SECRET;
  if (set) return set === DEV_WEBHOOK_SIGNING_SECRET && !development ? null : set;
  return development ? DEV_WEBHOOK_SIGNING_SECRET : null;
}

/** After a rotation the previous secret signs too (a second `v1,` entry) for this long, so
 *  receivers can switch without dropping deliveries; a leaked one stops being used after it. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60_000;

/**
 * `whsec_` + base64(HMAC-SHA256(master, label + tenantId [+ "#" + version])): stable for a tenant
 * and version, different per tenant, rotated for one tenant by bumping its version (admin API) and
 * for everyone by rotating WEBHOOK_SIGNING_SECRET. Version 0 is the original derivation.
 */
export async function tenantWebhookSecret(
  master: string,
  tenantId: string,
  version = 0,
): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(master),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const label = DERIVATION_LABEL + tenantId + (version === 0 ? "" : `#${version}`);
  const derived = await crypto.subtle.sign("HMAC", key, encoder.encode(label));
  return SECRET_PREFIX + toBase64(new Uint8Array(derived));
}

export interface WebhookSecretState {
  readonly id: string;
  readonly webhookSecretVersion: number;
  readonly webhookSecretRotatedAt: Date | null;
}

/** The secrets a delivery is signed with now: the current one, and within the overlap after a
 *  rotation the previous one too. */
export async function webhookSigningSecrets(
  master: string,
  tenant: WebhookSecretState,
  nowMs: number,
): Promise<string[]> {
  const version = tenant.webhookSecretVersion;
  const current = await tenantWebhookSecret(master, tenant.id, version);
  const rotatedAt = tenant.webhookSecretRotatedAt?.getTime() ?? null;
  if (version === 0 || rotatedAt === null || nowMs - rotatedAt >= ROTATION_OVERLAP_MS) {
    return [current];
  }
  return [current, await tenantWebhookSecret(master, tenant.id, version - 1)];
}
